import ArgumentParser
import Classifier
import Foundation
import HeroCore
import ModelExport
import Preprocess

/// `hero-id export MODEL --format onnx -o hero.onnx`: the model and the base network as one
/// ONNX graph, crop in, probabilities out (docs/export.md).
struct Export: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "export",
    abstract:
      "Write a trained model and Inception v3 as one ONNX file (crop in, probabilities out).",
    discussion: """
      The graph takes `image`, [N, 299, 299, 3] RGB pixels 0..255 (uint8, or float32 with \
      --input float32; N is free), normalises them to (x - 128) / 128, runs Inception v3 to \
      pool_3 with batch norm folded into the convolutions, standardises the bottleneck with the \
      model's mean and std, and applies the final layer and softmax. Outputs: `probabilities` \
      [N, labels] and `bottleneck` [N, 2048]. The labels, layout and preprocessing are in the \
      model's metadata_props. With --fp16 the weight matrices are stored as float16 (half the \
      file) and cast back to float32 inside the graph. See docs/export.md.
      """)

  @Argument(help: "Model directory (from `hero-id train`).")
  var model: String

  @Option(help: "Output format (onnx).")
  var format = "onnx"

  @Option(name: [.short, .customLong("output")], help: "The file to write.")
  var output: String?

  @Flag(help: "Store the weight matrices as float16 (inputs and outputs stay float32).")
  var fp16 = false

  @Option(help: "Element type of the image input: uint8 or float32.")
  var input = "uint8"

  @Option(
    help: "The weights file (default: $HERO_ID_INCEPTION or $HERO_ID_HOME/inception-2015-12-05.pt)."
  )
  var inception: String?

  /// A file listing JPEG images, one path a line: instead of exporting, print hero-id's own
  /// probabilities and bottleneck of each (one JSON line each), for the equivalence test.
  @Option(help: .hidden)
  var probe: String?

  func validate() throws {
    guard format == "onnx" else {
      throw ValidationError("--format \(format) is not supported (only onnx)")
    }
    guard ONNXExportOptions.InputType(rawValue: input) != nil else {
      throw ValidationError("--input must be uint8 or float32, not \(input)")
    }
    guard output != nil || probe != nil else { throw ValidationError("-o FILE is required") }
  }

  func run() async throws {
    let weightsPath = HeroIDHome.inceptionPath(override: inception)
    let weights = try InceptionWeights.load(path: weightsPath)
    let heroModel = try HeroModel.load(from: model, baseNetworkSHA1: weights.sha1)
    if let probe {
      try runProbe(list: probe, model: heroModel, weights: weights)
      return
    }
    guard let output, let inputType = ONNXExportOptions.InputType(rawValue: input) else { return }
    let options = ONNXExportOptions(precision: fp16 ? .float16 : .float32, input: inputType)
    let bytes = try ONNXExport.write(
      model: heroModel, weights: weights, weightsPath: weightsPath, to: output, options: options)
    printError(
      "export: \(output): ONNX opset \(ONNXExport.opsetVersion), \(heroModel.labels.count) labels, "
        + "\(options.precision.rawValue) weights, \(input) input, "
        + String(format: "%.1f MB", Double(bytes) / 1e6))
  }

  /// Prints `{"image", "probabilities", "bottleneck"}` per listed image: the JPEG decoded,
  /// resized and run through Inception v3 and the model's final layer as `identify` does.
  private func runProbe(list: String, model: HeroModel, weights: InceptionWeights) throws {
    guard let text = try? String(contentsOfFile: list, encoding: .utf8) else {
      throw ImageReadError(path: list, reason: "cannot read the list")
    }
    let paths = text.split(whereSeparator: \.isNewline).map(String.init).filter { !$0.isEmpty }
    let net = InceptionV3(weights: weights, batchSize: 16, threads: 1)
    for path in paths {
      guard let data = try? Data(contentsOf: URL(fileURLWithPath: path)) else {
        throw ImageReadError(path: path, reason: "cannot read the file")
      }
      let image = try JPEG.decode(data, source: path)
      let bottleneck = net.bottleneck(image)
      let p = model.layer.probabilities(bottleneck)
      func list(_ v: [Float]) -> String { v.map(\.description).joined(separator: ", ") }
      print(
        "{\"image\": \(JSONString.quote(path)), \"probabilities\": [\(list(p))], "
          + "\"bottleneck\": [\(list(bottleneck))]}")
    }
  }
}
