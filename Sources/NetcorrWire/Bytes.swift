import NetcorrCore

/// Why a decoder stopped: the layer, an anomaly name and the offset where it happened.
public struct DecodeError: Error, Hashable, Sendable {
    public var anomaly: Anomaly
    public var offset: Int
    @inlinable public init(_ anomaly: Anomaly, at offset: Int) { self.anomaly = anomaly; self.offset = offset }
}

/// Big-endian reads at fixed offsets of a bounds-checked span. Callers check the length once; a read past
/// the end traps (a bug), it never reads neighbouring memory.
extension Span where Element == UInt8 {
    @inlinable @inline(__always) public func u8(_ o: Int) -> UInt8 { self[o] }
    @inlinable @inline(__always) public func u16(_ o: Int) -> UInt16 { UInt16(self[o]) << 8 | UInt16(self[o &+ 1]) }
    @inlinable @inline(__always) public func u32(_ o: Int) -> UInt32 {
        UInt32(self[o]) << 24 | UInt32(self[o &+ 1]) << 16 | UInt32(self[o &+ 2]) << 8 | UInt32(self[o &+ 3])
    }
    @inlinable @inline(__always) public func u64(_ o: Int) -> UInt64 { UInt64(u32(o)) << 32 | UInt64(u32(o &+ 4)) }
    @inlinable @inline(__always) public func u16le(_ o: Int) -> UInt16 { UInt16(self[o]) | UInt16(self[o &+ 1]) << 8 }
    @inlinable @inline(__always) public func u32le(_ o: Int) -> UInt32 {
        UInt32(self[o]) | UInt32(self[o &+ 1]) << 8 | UInt32(self[o &+ 2]) << 16 | UInt32(self[o &+ 3]) << 24
    }
    @inlinable public func ipv4(_ o: Int) -> IPAddress { .v4(u32(o)) }
    @inlinable public func ipv6(_ o: Int) -> IPAddress { .v6(u64(o), u64(o &+ 8)) }
}
