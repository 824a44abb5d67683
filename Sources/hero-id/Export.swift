import ArgumentParser
import Foundation
import HeroCore
import HeroPipeline
import ModelExport

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
      file) and cast back to float32 inside the graph. With --int8 the file is quantized for \
      phones (about a quarter of the size, ONNX's QDQ format, which ONNX Runtime runs as int8 \
      convolutions): every convolution has int8 weights (one scale per output channel) and \
      reads its input as uint8, with scales calibrated on crops (bundled with hero-id, named \
      in the file's metadata); the biases and the final layer stay float32. It computes what \
      hero-id's own int8 pass (--precision int8, train's default) computes. See docs/export.md.
      """)

  @Argument(help: "Model directory (from `hero-id train`).")
  var model: String

  @Option(help: "Output format (onnx).")
  var format = "onnx"

  @Option(name: [.short, .customLong("output")], help: "The file to write.")
  var output: String?

  @Flag(help: "Store the weight matrices as float16 (inputs and outputs stay float32).")
  var fp16 = false

  @Flag(
    help: """
      Quantize for phones: int8 weights and uint8 activations in ONNX's QDQ format (about a \
      quarter of the size; inputs and outputs unchanged). Not with --fp16.
      """)
  var int8 = false

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
    guard !(int8 && fp16) else {
      throw ValidationError(
        "--int8 and --fp16 cannot be combined: --int8 stores the weights as int8 already")
    }
    guard output != nil || probe != nil else { throw ValidationError("-o FILE is required") }
  }

  func run() async throws {
    guard let inputType = ONNXExportOptions.InputType(rawValue: input) else { return }
    var o = ExportJob.Options(model: model)
    o.inception = inception
    o.onnx = ONNXExportOptions(
      precision: int8 ? .int8 : fp16 ? .float16 : .float32, input: inputType)
    let job = try ExportJob(options: o)
    if let probe {
      var failed = false
      try job.probe(listFile: probe, control: .silent) { line in
        switch line {
        case .success(let json): print(json.text)
        case .failure(let e):
          printError("\(e)")
          failed = true
        }
      }
      if failed { throw ExitCode(1) }
      return
    }
    guard let output else { return }
    let bytes = try job.run(to: output, control: .silent)
    printError(
      "export: \(output): ONNX opset \(ONNXExport.opsetVersion), \(job.model.labels.count) labels, "
        + "\(o.onnx.precision.rawValue) weights, \(input) input, "
        + String(format: "%.1f MB", Double(bytes) / 1e6))
  }
}
