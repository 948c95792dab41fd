// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "netcorr",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "netcorr", targets: ["netcorr"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.1.0"),
        .package(url: "https://github.com/apple/swift-nio-http2", from: "1.30.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.70.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CPcap",
            pkgConfig: "libpcap",
            providers: [.apt(["libpcap-dev"])]
        ),
        // The vocabulary: time, addresses, flows, events. No dependencies.
        .target(name: "NetcorrCore"),
        // Bytes to headers: link, IP, UDP, TCP, ICMP, DNS. Views over untrusted bytes.
        .target(name: "NetcorrWire", dependencies: ["NetcorrCore"]),
        // The only place C pointers become Swift views: libpcap files and live interfaces.
        .target(name: "NetcorrCapture", dependencies: ["CPcap", "NetcorrCore"]),
        // Connection tracking and in-order delivery with explicit limits.
        .target(name: "NetcorrTCP", dependencies: [
            "NetcorrCore", "NetcorrWire", .product(name: "DequeModule", package: "swift-collections"),
        ]),
        // DNS transactions: queries matched to responses, retries, timeouts, ICMP answers.
        .target(name: "NetcorrDNS", dependencies: [
            "NetcorrCore", "NetcorrWire", .product(name: "DequeModule", package: "swift-collections"),
        ]),
        // HTTP/2 frames, streams, flow control; HPACK via NIOHPACK (no NIO type in the public API).
        .target(name: "NetcorrHTTP2", dependencies: [
            "NetcorrCore",
            .product(name: "NIOHPACK", package: "swift-nio-http2"),
            .product(name: "NIOCore", package: "swift-nio"),
        ]),
        // TLS recognised, not decrypted: ClientHello SNI/ALPN/versions, record sizes and times.
        .target(name: "NetcorrTLS", dependencies: ["NetcorrCore"]),
        // Go's own logs: timestamp prefixes, netdns, http2debug, error strings.
        .target(name: "NetcorrGoLog", dependencies: ["NetcorrCore"]),
        // The one decode loop.
        .target(name: "NetcorrPipeline", dependencies: [
            "NetcorrCore", "NetcorrWire", "NetcorrTCP", "NetcorrDNS", "NetcorrHTTP2", "NetcorrTLS",
        ]),
        // Events in, findings out.
        .target(name: "NetcorrCorrelate", dependencies: [
            "NetcorrCore", .product(name: "HeapModule", package: "swift-collections"),
        ]),
        .target(name: "NetcorrReport", dependencies: ["NetcorrCore", "NetcorrCorrelate"]),
        .executableTarget(name: "netcorr", dependencies: [
            "NetcorrCore", "NetcorrCapture", "NetcorrPipeline", "NetcorrGoLog", "NetcorrCorrelate",
            "NetcorrReport",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .testTarget(name: "NetcorrWireTests", dependencies: ["NetcorrWire", "NetcorrCore"]),
        .testTarget(name: "NetcorrDNSTests", dependencies: ["NetcorrDNS", "NetcorrWire", "NetcorrCore"]),
        .testTarget(name: "NetcorrTCPTests", dependencies: ["NetcorrTCP", "NetcorrWire", "NetcorrCore"]),
        .testTarget(name: "NetcorrHTTP2Tests", dependencies: ["NetcorrHTTP2", "NetcorrCore"], exclude: ["Fixtures/make_fixtures.py"]),
        .testTarget(name: "NetcorrTLSTests", dependencies: ["NetcorrTLS", "NetcorrCore"], exclude: ["Fixtures/make_fixtures.py"]),
        .testTarget(name: "NetcorrGoLogTests", dependencies: ["NetcorrGoLog", "NetcorrCore"]),
        .testTarget(name: "NetcorrCorrelateTests", dependencies: ["NetcorrCorrelate", "NetcorrCore"]),
        .testTarget(name: "NetcorrCLITests", dependencies: ["netcorr", "NetcorrCapture", "NetcorrCore"]),
    ]
)
