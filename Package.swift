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
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2")
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
    .target(
      name: "InceptionKernels", dependencies: ["COpenBLAS", "HeroCore"],
      swiftSettings: strict + [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]),
    // The base network: TorchScript zip + pickle reader (checked: it reads untrusted files),
    // the Inception v3 binding of the state dict, the bottleneck cache.
    .target(name: "Inception", dependencies: ["InceptionKernels", "HeroCore"], swiftSettings: strict),
    // The new final layer, its trainer, the unknown-hero decision and the model directory.
    .target(
      name: "Classifier", dependencies: ["InceptionKernels", "HeroCore"],
      swiftSettings: strict),
    // Synthetic gameplay clips for demo, tests and benchmarks (Cairo drawing, libavcodec encoding).
    .target(name: "SampleMaker", dependencies: ["CCairo", "CLibAV", "HeroCore"], swiftSettings: strict),

    // The jobs (extract, identify, train, batch): every front end calls these, none re-wires
    // the stages. One thread policy per run.
    .target(
      name: "HeroPipeline",
      dependencies: [
        "HeroCore", "FrameExtractor", "Preprocess", "Labeler", "Inception", "InceptionKernels",
        "Classifier",
      ],
      swiftSettings: strict),

    // MARK: CLI
    .executableTarget(
      name: "hero-id",
      dependencies: [
        "HeroPipeline", "HeroCore", "FrameExtractor", "Preprocess", "Labeler", "Inception",
        "Classifier", .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      swiftSettings: strict),
    .executableTarget(
      name: "sample-maker",
      dependencies: [
        "SampleMaker", "HeroCore", .product(name: "ArgumentParser", package: "swift-argument-parser"),
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
    .testTarget(name: "LabelerTests", dependencies: ["Labeler", "HeroCore"], swiftSettings: strict),
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
        "HeroPipeline", "Labeler", "Classifier", "Inception", "Preprocess", "HeroCore",
        "SampleMaker", "FrameExtractor", "TestSupport",
      ],
      swiftSettings: strict),
    .testTarget(
      name: "SampleMakerTests", dependencies: ["SampleMaker", "FrameExtractor", "HeroCore"],
      swiftSettings: strict),
    .testTarget(name: "CLITests", dependencies: ["HeroCore"], swiftSettings: strict),
  ]
)
