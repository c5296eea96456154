// swift-tools-version:6.0
import PackageDescription

/// Every library target, innermost first: the AnnotateKit product, and what the tests see.
let layers = [
    "AnnotateCore", "AnnotateAWS", "AnnotateStorage", "AnnotateQueue", "AnnotateMetadata", "AnnotateAnnotators", "AnnotateImaging",
    "AnnotateHTTPClient", "AnnotatePipeline", "AnnotatePresentation", "AnnotateWeb", "AnnotateExport", "AnnotateLambda",
    "AnnotateKit",
]

let package = Package(
    name: "annotate",
    // Linux (glibc) only: the code calls Glibc directly; AnnotateCore/Platform.swift says so at compile time elsewhere.
    products: [
        .executable(name: "annotate", targets: ["annotate-cli"]),
        // Everything a program embedding annotate needs: the layers and the composition root.
        .library(name: "AnnotateKit", targets: layers),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/vapor/multipart-kit", from: "4.7.1"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/adam-fowler/compress-nio", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
    ],
    targets: [
        // libvips through pkg-config; only the C shim sees its headers, so Swift never imports glib.
        .systemLibrary(name: "CLibVips", pkgConfig: "vips", providers: [.apt(["libvips-dev"])]),
        .target(name: "CVips", dependencies: ["CLibVips"]),
        // MariaDB Connector/C (speaks to MySQL 8 and MariaDB); its functions are called from Swift.
        // glibc's <malloc.h> (mallopt), which the Glibc module leaves out; used once at start-up.
        .target(name: "CMalloc"),
        .systemLibrary(name: "CMariaDB", pkgConfig: "libmariadb", providers: [.apt(["libmariadb-dev"])]),
        // The layers, innermost first. Each target lists only what it may see: the build
        // (with --explicit-target-dependency-import-check=error, as the Makefile runs it) refuses
        // an import across a line the architecture does not draw. Sources/README.md has the map.
        //
        // Core: domain types, role protocols, errors and units. Sees nothing of ours.
        .target(
            name: "AnnotateCore",
            dependencies: [.product(name: "Logging", package: "swift-log")],
            exclude: ["README.md"]
        ),
        // Backends: each sees only the core (and its C library); the AWS-speaking ones share the
        // signing and credentials of AnnotateAWS, which names no backend itself.
        .target(
            name: "AnnotateAWS",
            dependencies: ["AnnotateCore", .product(name: "Crypto", package: "swift-crypto")],
            exclude: ["README.md"]
        ),
        .target(
            name: "AnnotateStorage",
            dependencies: ["AnnotateCore", "AnnotateAWS", .product(name: "Crypto", package: "swift-crypto")],
            exclude: ["README.md"]
        ),
        .target(name: "AnnotateQueue", dependencies: ["AnnotateCore", "AnnotateAWS"], exclude: ["README.md"]),
        .target(
            name: "AnnotateMetadata",
            dependencies: [
                "AnnotateCore", "CMariaDB",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ],
            exclude: ["README.md"]
        ),
        .target(
            name: "AnnotateAnnotators",
            dependencies: [
                "AnnotateCore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            exclude: ["README.md"]
        ),
        .target(name: "AnnotateImaging", dependencies: ["AnnotateCore", "CVips"], exclude: ["README.md"]),
        .target(
            name: "AnnotateHTTPClient",
            dependencies: [
                "AnnotateCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            exclude: ["README.md"]
        ),
        // The use cases (intake, claims, task execution), over the core's roles only.
        .target(
            name: "AnnotatePipeline",
            dependencies: [
                "AnnotateCore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            exclude: ["README.md", "CLAIMS.md"]
        ),
        // What people see: pages and JSON shapes, shared by the web front and the export.
        .target(
            name: "AnnotatePresentation",
            dependencies: ["AnnotateCore", "AnnotatePipeline", .product(name: "Mustache", package: "swift-mustache")],
            exclude: ["README.md"]
        ),
        .target(
            name: "AnnotateWeb",
            dependencies: [
                "AnnotateCore", "AnnotatePipeline", "AnnotatePresentation",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "MultipartKit", package: "multipart-kit"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            exclude: ["README.md"]
        ),
        .target(
            name: "AnnotateExport",
            dependencies: ["AnnotateCore", "AnnotatePresentation", .product(name: "Logging", package: "swift-log")],
            exclude: ["README.md"]
        ),
        // The Lambda Runtime API loop: a front over the pipeline, like the web one.
        .target(
            name: "AnnotateLambda",
            dependencies: [
                "AnnotateCore", "AnnotatePipeline", .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            exclude: ["README.md"]
        ),
        // The composition root: configuration becomes concrete backends here and nowhere else
        // (and `doctor`, which checks them). The only target that sees every backend.
        .target(
            name: "AnnotateKit",
            dependencies: [
                "AnnotateCore", "AnnotateAWS", "AnnotateStorage", "AnnotateQueue", "AnnotateMetadata", "AnnotateAnnotators",
                "AnnotateImaging", "AnnotateHTTPClient", "AnnotatePipeline", "AnnotateWeb", "AnnotateLambda",
                .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["README.md"]
        ),
        .executableTarget(
            name: "annotate-cli",
            dependencies: [
                "AnnotateKit", "AnnotateCore", "AnnotatePipeline", "AnnotatePresentation", "AnnotateWeb", "AnnotateExport", "AnnotateLambda",
                "CMalloc",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // make bench's store measurements (not installed).
        .executableTarget(name: "annotate-store-bench", dependencies: ["AnnotateCore", "AnnotateMetadata"]),
        .testTarget(
            name: "AnnotateKitTests",
            // Depends on the executable so `swift build --build-tests` builds the binary the CLI tests run.
            dependencies: layers.map { .target(name: $0) } + [
                "annotate-cli",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
