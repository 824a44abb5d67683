// Writes the seed of the fuzz target `model` (a small valid model: `model.json`, NUL, the
// weights) to the path given as the first argument; it made corpus/model/valid-2-classes.bin.
// Build it against the fuzz modules (after FUZZ_BUILD_ONLY=1 scripts/fuzz.sh):
//   swiftc -O -parse-as-library -sanitize=address -I .build-fuzz/lib -I Sources/CCrypto //     -I Sources/COpenBLAS Tests/Fuzz/seeds/SeedModel.swift -L .build-fuzz/lib -lClassifier //     -lInception -lInceptionKernels -lLabeler -lHeroCore -lcrypto -lopenblas -o seed-model
import Classifier
import Foundation
import HeroCore
import InceptionKernels

@main struct SeedModel {
  static func main() throws {
    let n = InceptionConstants.bottleneckSize
    let k = ColourSignature.size
    let d = IconPattern.size
    let c = 2
    let unit = [Float](repeating: 0, count: n)
    let model = HeroModel(
      labels: ["李白", "Hou Yi"], layer: FinalLayer(inputSize: n, classCount: c),
      prototypes: Prototypes(
        inputSize: n, classCount: c, mean: unit, vectors: unit, labels: [1]),
      colourPrototypes: Prototypes(
        inputSize: k, classCount: c, mean: [Float](repeating: 0, count: k),
        vectors: [Float](repeating: 0.5, count: k), labels: [0]),
      patternPrototypes: Prototypes(
        inputSize: d, classCount: c, mean: [Float](repeating: 0, count: d),
        vectors: [Float](repeating: 0.25, count: d), labels: [1]),
      thresholds: UnknownThresholds(minFamiliarity: 1.5),
      info: ModelInfo(
        baseNetworkSHA1: InceptionConstants.expectedSHA1, layout: .default,
        training: TrainingSummary(
          options: TrainingOptions(), images: ["training": 2], validationAccuracy: nil,
          testAccuracy: nil, distortions: ImageDistortion(), trainedAt: "2026-01-01T00:00:00Z",
          seconds: 1)))
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "seed-model-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: dir) }
    try model.save(to: dir.path)
    var seed = try Data(contentsOf: dir.appendingPathComponent("model.json"))
    seed.append(0)
    seed.append(try Data(contentsOf: dir.appendingPathComponent("weights.f32")))
    try seed.write(to: URL(fileURLWithPath: CommandLine.arguments[1]))
    // The model reads back.
    _ = try HeroModel.load(from: dir.path)
  }
}
