import CPcap
import NetcorrCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How a live handle is opened (libpcap `pcap_create` / `pcap_set_*` / `pcap_activate`).
public struct LiveCaptureOptions: Sendable {
    /// Bytes kept of each packet (tcpdump's default).
    public var snaplen = 262_144
    /// Kernel ring buffer in bytes (libpcap's default is 2 MiB; more survives bursts. In immediate mode libpcap uses TPACKET_V2, whose slots are min(snaplen, MTU) bytes each).
    public var bufferSize = 32 << 20
    /// Off unless asked: netcorr wants this host's own traffic.
    public var promiscuous = false
    /// Deliver every packet as it arrives (TPACKET_V3 otherwise holds packets until a block fills or times out).
    public var immediate = true
    public init() {}
}

/// Kernel / interface drop counters (`pcap_stats`).
public struct LiveCaptureStats: Sendable, Equatable {
    /// Packets that passed the filter (on Linux: counted by the kernel, including those later dropped).
    public var received: Int
    /// Dropped by the kernel: the ring buffer was full (netcorr read too slowly).
    public var droppedByKernel: Int
    /// Dropped by the interface or its driver.
    public var droppedByInterface: Int
    public var dropped: Int { droppedByKernel + droppedByInterface }
    public init(received: Int = 0, droppedByKernel: Int = 0, droppedByInterface: Int = 0) {
        self.received = received; self.droppedByKernel = droppedByKernel; self.droppedByInterface = droppedByInterface
    }
}

/// One interface as `pcap_findalldevs` lists it.
public struct CaptureInterface: Sendable {
    public var name: String
    public var description: String?
    public var flags: [String]
    public var addresses: [String]
}

/// A live libpcap handle: nanosecond timestamps, a kernel BPF filter, non-blocking reads with `poll` so the
/// caller's loop keeps running (time advances) when no packet comes. Every packet read can also be written
/// to a savefile (`pcap_dump`) before the caller sees it. Not thread-safe: one loop owns it.
public final class LiveCapture {
    let handle: OpaquePointer
    public let interface: String
    public let linkType: Int32
    public let snaplen: Int
    /// Whether libpcap gives nanoseconds (else microseconds, converted).
    public let nanoseconds: Bool
    /// Packets read so far; also the frame number of the last one (the savefile holds exactly these).
    public private(set) var frame = 0
    /// Set when reading failed (interface went down): libpcap's text.
    public private(set) var readError: String?
    /// libpcap's warning from `pcap_activate` (e.g. promiscuous mode not supported), if any.
    public private(set) var warning: String?
    var dumper: OpaquePointer?

    public init(interface: String, options: LiveCaptureOptions = .init()) throws(PcapError) {
        var errbuf = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        guard let h = pcap_create(interface, &errbuf) else {
            throw PcapError("\(interface): \(LiveCapture.text(errbuf))")
        }
        pcap_set_snaplen(h, Int32(clamping: options.snaplen))
        pcap_set_promisc(h, options.promiscuous ? 1 : 0)
        pcap_set_buffer_size(h, Int32(clamping: options.bufferSize))
        pcap_set_immediate_mode(h, options.immediate ? 1 : 0)
        pcap_set_timeout(h, 100)
        let nano = pcap_set_tstamp_precision(h, Int32(PCAP_TSTAMP_PRECISION_NANO)) == 0
        let rc = pcap_activate(h)
        if rc < 0 {
            let detail = String(cString: pcap_geterr(h))
            pcap_close(h)
            throw PcapError(LiveCapture.activateError(rc, interface: interface, detail: detail))
        }
        if rc > 0 {
            let detail = String(cString: pcap_geterr(h))
            warning = "\(interface): \(String(cString: pcap_statustostr(rc)))" + (detail.isEmpty ? "" : " (\(detail))")
        }
        if pcap_setnonblock(h, 1, &errbuf) != 0 {
            let t = LiveCapture.text(errbuf)
            pcap_close(h)
            throw PcapError("\(interface): cannot read without blocking: \(t)")
        }
        handle = h
        self.interface = interface
        linkType = pcap_datalink(h)
        snaplen = Int(pcap_snapshot(h))
        nanoseconds = nano
    }

    deinit {
        closeDump()
        pcap_close(handle)
    }

    static func text(_ errbuf: [CChar]) -> String {
        String(decoding: errbuf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func activateError(_ rc: Int32, interface: String, detail: String) -> String {
        switch rc {
        case PCAP_ERROR_PERM_DENIED, PCAP_ERROR_PROMISC_PERM_DENIED:
            return "capturing on \(interface) is not permitted (\(detail.isEmpty ? "permission denied" : detail)): "
                + "run netcorr as root, or grant it the capability once: setcap cap_net_raw,cap_net_admin=eip \"$(command -v netcorr)\""
        case PCAP_ERROR_NO_SUCH_DEVICE:
            return "no interface named '\(interface)' (netcorr capture -D lists them)"
        case PCAP_ERROR_IFACE_NOT_UP:
            return "interface \(interface) is down"
        default:
            let s = String(cString: pcap_statustostr(rc))
            return "\(interface): \(detail.isEmpty ? s : detail)"
        }
    }

    /// Compiles `expression` and has the kernel apply it (only matching packets are read, counted and saved).
    public func setFilter(_ expression: String) throws(PcapError) {
        var prog = bpf_program()
        if pcap_compile(handle, &prog, expression, 1, PCAP_NETMASK_UNKNOWN) != 0 {
            throw PcapError("bad filter expression '\(expression)': \(String(cString: pcap_geterr(handle)))")
        }
        defer { pcap_freecode(&prog) }
        if pcap_setfilter(handle, &prog) != 0 {
            throw PcapError("cannot set filter '\(expression)': \(String(cString: pcap_geterr(handle)))")
        }
    }

    /// Also writes every packet read from now on to `path` as classic pcap (nanosecond magic when the handle
    /// has nanosecond timestamps). Replaces an earlier dump file.
    public func dump(to path: String) throws(PcapError) {
        closeDump()
        guard let d = pcap_dump_open(handle, path) else {
            throw PcapError("cannot write \(path): \(String(cString: pcap_geterr(handle)))")
        }
        dumper = d
    }

    /// Flushes and closes the dump file.
    public func closeDump() {
        if let d = dumper {
            pcap_dump_flush(d)
            pcap_dump_close(d)
            dumper = nil
        }
    }

    public func flushDump() { if let d = dumper { pcap_dump_flush(d) } }

    /// Waits up to `timeoutMs` for packets (returns early on a signal).
    public func wait(timeoutMs: Int32) {
        let fd = pcap_get_selectable_fd(handle)
        guard fd >= 0 else { usleep(UInt32(max(0, timeoutMs)) * 1000); return }
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        _ = poll(&p, 1, timeoutMs)
    }

    /// Reads the packets that are waiting (at most `limit`), calling `body` for each: the bytes are valid only
    /// inside the call. Returns how many were read; 0 when none was waiting, -1 on a read error (`readError`).
    public func readAvailable(limit: Int = 4096, _ body: (Span<UInt8>, PacketInfo) -> Void) -> Int {
        var n = 0
        var hdr: UnsafeMutablePointer<pcap_pkthdr>?
        var data: UnsafePointer<UInt8>?
        while n < limit {
            let rc = pcap_next_ex(handle, &hdr, &data)
            if rc == 1, let hdr, let data {
                frame += 1
                n += 1
                if let d = dumper { pcap_dump(UnsafeMutablePointer<UInt8>(d), hdr, data) }
                let h = hdr.pointee
                let sub = nanoseconds ? Int64(h.ts.tv_usec) : Int64(h.ts.tv_usec) * 1000
                let info = PacketInfo(frame: frame, ts: Timestamp(seconds: Int64(h.ts.tv_sec), nanoseconds: sub),
                                      capturedLength: Int(h.caplen), wireLength: Int(h.len))
                body(UnsafeBufferPointer(start: data, count: Int(h.caplen)).span, info)
                continue
            }
            if rc == 0 { return n }
            if rc == -2 { return n }
            readError = String(cString: pcap_geterr(handle))
            return n > 0 ? n : -1
        }
        return n
    }

    /// The kernel's and the interface's counters since the handle was activated.
    public func stats() -> LiveCaptureStats? {
        var s = pcap_stat()
        guard pcap_stats(handle, &s) == 0 else { return nil }
        return LiveCaptureStats(received: Int(s.ps_recv), droppedByKernel: Int(s.ps_drop), droppedByInterface: Int(s.ps_ifdrop))
    }

    /// Every interface libpcap can capture on (`pcap_findalldevs`), in its order.
    public static func interfaces() throws(PcapError) -> [CaptureInterface] {
        var errbuf = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        var list: UnsafeMutablePointer<pcap_if_t>?
        guard pcap_findalldevs(&list, &errbuf) == 0 else { throw PcapError("cannot list interfaces: \(text(errbuf))") }
        defer { if let list { pcap_freealldevs(list) } }
        var out: [CaptureInterface] = []
        var p = list
        while let d = p {
            let f = d.pointee.flags
            var flags: [String] = []
            if f & UInt32(PCAP_IF_UP) != 0 { flags.append("Up") }
            if f & UInt32(PCAP_IF_RUNNING) != 0 { flags.append("Running") }
            if f & UInt32(PCAP_IF_LOOPBACK) != 0 { flags.append("Loopback") }
            var addrs: [String] = []
            var a = d.pointee.addresses
            while let ad = a {
                if let sa = ad.pointee.addr, let s = address(sa) { addrs.append(s) }
                a = ad.pointee.next
            }
            out.append(CaptureInterface(name: String(cString: d.pointee.name),
                                        description: d.pointee.description.map { String(cString: $0) },
                                        flags: flags, addresses: addrs))
            p = d.pointee.next
        }
        return out
    }

    static func address(_ sa: UnsafeMutablePointer<sockaddr>) -> String? {
        var buf = [CChar](repeating: 0, count: 64)
        switch Int32(sa.pointee.sa_family) {
        case AF_INET:
            return sa.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { s in
                var a = s.pointee.sin_addr
                return inet_ntop(AF_INET, &a, &buf, 64) != nil ? text(buf) : nil
            }
        case AF_INET6:
            return sa.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { s in
                var a = s.pointee.sin6_addr
                return inet_ntop(AF_INET6, &a, &buf, 64) != nil ? text(buf) : nil
            }
        default: return nil
        }
    }
}
