// swift-tools-version:6.2
import PackageDescription

let strict: [SwiftSetting] = [.treatAllWarnings(as: .error)]

let package = Package(
  name: "hero-id",
  platforms: [.macOS(.v13)],
  products: [
    .executable(name: "hero-id", targets: ["hero-id"]),
    .executable(name: "sample-maker", targets: ["sample-maker"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    // ONNX export: the protobuf runtime; the onnx.proto messages are generated once and
    // committed (Sources/ONNXProto/README.md), never at build time.
    .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
    .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
    // Only the server target uses Hummingbird; its optional traits (swift-configuration) stay off.
    .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
    // Already in the graph through Hummingbird; named for the server's bound address and logger.
    .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
  ],
  targets: [
    // MARK: C libraries (headers and macro bridges only)
    .systemLibrary(
      name: "CLibAV", pkgConfig: "libavformat",
      providers: [.apt(["libavformat-dev", "libavcodec-dev", "libswscale-dev", "libavutil-dev"])]),
    .systemLibrary(
      name: "CTurboJPEG", pkgConfig: "libturbojpeg", providers: [.apt(["libturbojpeg0-dev"])]),
    .systemLibrary(
      name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
    .systemLibrary(name: "CCairo", pkgConfig: "cairo", providers: [.apt(["libcairo2-dev"])]),
    .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),

    // MARK: Libraries
    .target(name: "HeroCore", dependencies: ["CCrypto"], swiftSettings: strict),
    .target(name: "FrameExtractor", dependencies: ["CLibAV", "HeroCore"], swiftSettings: strict),
    .target(name: "Preprocess", dependencies: ["CTurboJPEG", "HeroCore"], swiftSettings: strict),
    .target(name: "Labeler", dependencies: ["HeroCore"], swiftSettings: strict),
    // The numeric kernels and the one BLAS wrapper: built -Ounchecked, they only ever see shapes
    // the code itself made (InceptionV3 from validated weights, the classifier's own matrices).
    // hero-id's GEMM on weights packed once at load (AVX2 + FMA, chosen at run time), and its
    // int8 GEMM (AVX-512 VNNI, AVX2 or portable C, exact int32 sums).
    .target(name: "CPackedGEMM", cSettings: [.unsafeFlags(["-O3"])]),
    .target(
      name: "InceptionKernels", dependencies: ["COpenBLAS", "CPackedGEMM", "HeroCore"],
      swiftSettings: strict + [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]),
    // The base network: TorchScript zip + pickle reader (checked: it reads untrusted files),
    // the Inception v3 binding of the state dict, the bottleneck cache.
    .target(
      name: "Inception", dependencies: ["InceptionKernels", "HeroCore"], swiftSettings: strict),
    // The new final layer, its trainer, the unknown-hero decision and the model directory.
    .target(
      name: "Classifier", dependencies: ["InceptionKernels", "HeroCore"],
      swiftSettings: strict),
    // The ONNX protobuf messages, generated from onnx.proto by protoc-gen-swift (committed).
    .target(
      name: "ONNXProto",
      dependencies: [.product(name: "SwiftProtobuf", package: "swift-protobuf")],
      exclude: ["README.md"]),
    // A model and the base network as one ONNX graph (`hero-id export`).
    .target(
      name: "ModelExport",
      dependencies: [
        "InceptionKernels", "Classifier", "HeroCore", "ONNXProto",
        .product(name: "SwiftProtobuf", package: "swift-protobuf"),
      ],
      swiftSettings: strict),
    // Synthetic gameplay clips for demo, tests and benchmarks (Cairo drawing, libavcodec encoding).
    .target(
      name: "SampleMaker", dependencies: ["CCairo", "CLibAV", "HeroCore"], swiftSettings: strict),

    // The jobs (extract, identify, train, batch): every front end calls these, none re-wires
    // the stages. One thread policy per run.
    .target(
      name: "HeroPipeline",
      dependencies: [
        "HeroCore", "FrameExtractor", "Preprocess", "Labeler", "Inception", "InceptionKernels",
        "Classifier", "ModelExport",
      ],
      swiftSettings: strict),
    // HTML reports (Mustache templates, SVG charts drawn in code) of models, identify results and
    // crop folders.
    .target(
      name: "HeroReport",
      dependencies: [
        "HeroCore", "Classifier", "Labeler",
        .product(name: "Mustache", package: "swift-mustache"),
      ],
      swiftSettings: strict),
    // The local web page and JSON API (Hummingbird 2) over the pipeline's identify job.
    .target(
      name: "HeroServe",
      dependencies: [
        "HeroCore", "HeroPipeline", "HeroReport",
        .product(name: "Hummingbird", package: "hummingbird"),
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "Logging", package: "swift-log"),
      ],
      swiftSettings: strict),

    // MARK: CLI
    .executableTarget(
      name: "hero-id",
      dependencies: [
        "HeroPipeline", "HeroCore", "FrameExtractor", "Preprocess", "Labeler", "Inception",
        "InceptionKernels", "Classifier", "ModelExport", "HeroReport", "HeroServe",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      swiftSettings: strict),
    .executableTarget(
      name: "sample-maker",
      dependencies: [
        "SampleMaker", "HeroCore",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      swiftSettings: strict),

    // MARK: Tests
    // Fixtures several test targets share (temporary folders, synthetic icons).
    .target(name: "TestSupport", dependencies: ["HeroCore"], path: "Tests/TestSupport"),
    .testTarget(name: "HeroCoreTests", dependencies: ["HeroCore"], swiftSettings: strict),
    .testTarget(
      name: "FrameExtractorTests", dependencies: ["FrameExtractor", "HeroCore"],
      swiftSettings: strict),
    .testTarget(
      name: "PreprocessTests",
      dependencies: ["Preprocess", "HeroCore", "SampleMaker", "FrameExtractor"],
      swiftSettings: strict),
    .testTarget(
      name: "LabelerTests", dependencies: ["Labeler", "HeroCore", "TestSupport"],
      swiftSettings: strict),
    .testTarget(
      name: "InceptionTests",
      dependencies: ["Inception", "InceptionKernels", "Preprocess", "HeroCore", "TestSupport"],
      resources: [.copy("Reference")], swiftSettings: strict),
    .testTarget(
      name: "ClassifierTests",
      dependencies: [
        "Classifier", "InceptionKernels", "Preprocess", "HeroCore", "TestSupport",
      ],
      swiftSettings: strict),
    .testTarget(
      name: "HeroPipelineTests",
      dependencies: [
        "HeroPipeline", "Labeler", "Classifier", "Inception", "InceptionKernels", "Preprocess",
        "HeroCore", "HeroReport", "SampleMaker", "FrameExtractor", "TestSupport",
      ],
      swiftSettings: strict),
    .testTarget(
      name: "SampleMakerTests", dependencies: ["SampleMaker", "FrameExtractor", "HeroCore"],
      swiftSettings: strict),
    .testTarget(
      name: "ModelExportTests",
      dependencies: [
        "ModelExport", "Inception", "InceptionKernels", "Classifier", "ONNXProto", "HeroCore",
      ],
      swiftSettings: strict),
    .testTarget(
      name: "CLITests", dependencies: ["HeroCore", "TestSupport"], swiftSettings: strict),
    .testTarget(
      name: "HeroReportTests", dependencies: ["HeroReport", "Classifier", "HeroCore"],
      swiftSettings: strict),
    .testTarget(
      name: "HeroServeTests", dependencies: ["HeroServe", "HeroCore"], swiftSettings: strict),
    // Runs Tests/BrowserTests/browser_tests.py: headless Chromium on `report` and `serve`.
    .testTarget(
      name: "BrowserTests", dependencies: ["HeroCore"], exclude: ["browser_tests.py", "cdp.py"],
      swiftSettings: strict),
  ]
)
