import NetcorrCore

/// Bounds on what one connection's decoder may hold. An observer enforces nothing on the peers but must
/// stay bounded itself: every limit, when reached, is counted as an anomaly and decoding goes on.
public struct HTTP2Limits: Sendable {
    /// Bytes buffered for one incomplete frame payload (per direction). A non-DATA frame longer than this is
    /// reported (`h2.frame-over-buffer-limit`) and skipped without being decoded. DATA and unknown-type
    /// payloads are never buffered.
    public var maxFrameBuffer: Int = 16 << 20
    /// A frame longer than the receiver's SETTINGS_MAX_FRAME_SIZE (at least 16384) is reported as
    /// `h2.frame-too-large`; its length is trusted and the direction stays in step. When `false` the
    /// direction instead treats an oversize header as lost synchronisation and hunts for the next valid one.
    public var trustOversizeFrames: Bool = true
    /// Bytes of one header block (HEADERS/PUSH_PROMISE + CONTINUATION fragments) kept for HPACK.
    public var maxHeaderBlockSize: Int = 1 << 20
    /// CONTINUATION frames held for one header block.
    public var maxContinuationFrames: Int = 1024
    /// Decoded header list size (RFC 7541 §4.1 sizes) accepted; a larger list is an HPACK failure.
    public var maxHeaderListSize: Int = 1 << 20
    /// The largest HPACK dynamic table an encoder may move to with a table-size update (whatever the
    /// receiver advertised, so the observer is at least as lenient as the real receiver up to this).
    /// (NIO preallocates table slots in proportion to this, ~32 B per 64 B of table: keep it modest.)
    public var maxHeaderTableSize: Int = 64 << 10
    /// Open streams tracked per connection; beyond, new streams are counted (`h2.streams-limit`) not tracked.
    public var maxStreamsTracked: Int = 10_000
    /// Finished stream summaries kept per connection.
    public var maxStreamSummaries: Int = 100_000
    /// SETTINGS, PING, GOAWAY and stall records kept per connection (each).
    public var maxRecords: Int = 4096
    /// GOAWAY debug data bytes kept.
    public var maxDebugData: Int = 1024
    /// Bytes kept while hunting for a frame boundary (mid-stream join, after a gap).
    public var maxHuntBuffer: Int = 96 << 10
    /// Bytes of an HTTP/1.1 header block (h2c Upgrade request or its response) kept.
    public var maxHTTP1Header: Int = 64 << 10
    /// Server bytes held in `.auto` start while the client side has not yet shown how it starts.
    public var maxEarlyServerBytes: Int = 64 << 10

    public init() {}
}
