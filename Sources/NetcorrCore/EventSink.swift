/// Where decoded events go. Reporters and the correlator implement it; decoders never see it.
/// Every method has a default that ignores the event, so a sink implements only what it wants.
public protocol EventSink {
    mutating func dns(_ e: DNSMessageEvent)
    mutating func dnsTransaction(_ t: DNSTransaction)
    mutating func icmp(_ e: ICMPErrorEvent)
    mutating func neighbor(_ e: NeighborEvent)
    mutating func tcp(_ e: TCPConnectionEvent)
    mutating func h2(_ e: HTTP2FrameEvent)
    /// One per HTTP/2 connection when it ends or the capture ends.
    mutating func h2Connection(_ s: HTTP2ConnectionSummary)
    /// One per TLS connection when it ends or the capture ends.
    mutating func tls(_ e: TLSEvent)
    /// False when nobody will read DNS message events: the pipeline then skips building them.
    var wantsDNSMessages: Bool { get }
}

extension EventSink {
    public mutating func dns(_ e: DNSMessageEvent) {}
    public mutating func dnsTransaction(_ t: DNSTransaction) {}
    public mutating func icmp(_ e: ICMPErrorEvent) {}
    public mutating func neighbor(_ e: NeighborEvent) {}
    public mutating func tcp(_ e: TCPConnectionEvent) {}
    public mutating func h2(_ e: HTTP2FrameEvent) {}
    public mutating func h2Connection(_ s: HTTP2ConnectionSummary) {}
    public mutating func tls(_ e: TLSEvent) {}
    public var wantsDNSMessages: Bool { true }
}
