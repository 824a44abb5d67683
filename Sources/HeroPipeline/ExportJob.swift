import Classifier
import Foundation
import HeroCore
import Inception
import InceptionKernels
import ModelExport

/// `export`: a trained model and the Inception v3 weights it was trained on as one ONNX file,
/// crop in, probabilities out (docs/export.md); and `probe`, hero-id's own probabilities of
/// JPEG crops under the model, which the export's equivalence test compares with ONNX Runtime.
public struct ExportJob {
  public struct Options: Sendable {
    /// The model directory (from `train`).
    public var model: String
    /// `--inception` (nil: `$HERO_ID_INCEPTION` or the home folder's).
    public var inception: String?
    /// Weight storage and input type of the graph.
    public var onnx = ONNXExportOptions()

    public init(model: String) {
      self.model = model
    }
  }

  public let options: Options
  public let network: BaseNetwork
  public let model: HeroModel

  /// Loads the weights and the model (refused when trained on other weights).
  public init(options: Options) throws {
    self.options = options
    network = try BaseNetwork.load(override: options.inception)
    model = try HeroModel.load(from: options.model, baseNetworkSHA1: network.sha1)
  }

  /// Writes the ONNX file to `path` atomically; returns its size in bytes.
  @discardableResult
  public func run(to path: String, control: JobControl) throws -> Int {
    control.observer.begin("export", total: 1)
    try control.checkCancelled()
    let bytes = try ONNXExport.write(
      model: model, weights: network.weights, weightsPath: network.path, to: path,
      options: options.onnx)
    control.observer.advance("export", note: path)
    control.observer.finish("export")
    return bytes
  }

  /// hero-id's own class probabilities and bottleneck of each JPEG (decoded, resized and run
  /// through Inception v3 and the model's final layer, as `identify` does for a crop) in fp32,
  /// and its class probabilities in int8 (`--precision int8`, the scheme of `export --int8`),
  /// handed to `emit` in order; an image that cannot be read gets its error.
  public func probe(
    _ images: [String], control: JobControl,
    emit: (String, Result<Probe, any Error>) -> Void
  ) throws {
    var o = BottleneckJob.Options()
    o.inception = network.path
    o.threads = 1
    var int8: [String: [Float]] = [:]
    o.precision = .int8
    try BottleneckJob(options: o).run(images, control: control) { path, result in
      if case .success(let b) = result { int8[path] = b }
    }
    o.precision = .fp32
    try BottleneckJob(options: o).run(images, control: control) { path, result in
      emit(
        path,
        result.map {
          Probe(
            probabilities: model.heroProbabilities(model.layer.probabilities($0)), bottleneck: $0,
            int8Probabilities: int8[path].map {
              model.heroProbabilities(model.layer.probabilities($0))
            }
              ?? [])
        })
    }
  }

  /// ``probe(_:control:emit:)`` of the images listed in `listFile` (one path a line; blank
  /// lines skipped): per image `{"image", "probabilities", "bottleneck", "probabilities_int8"}`,
  /// or its error. Throws when the list cannot be read.
  public func probe(
    listFile: String, control: JobControl, emit: (Result<JSONValue, any Error>) -> Void
  ) throws {
    guard let text = try? String(contentsOfFile: listFile, encoding: .utf8) else {
      throw ProbeListError(path: listFile)
    }
    let paths = text.split(whereSeparator: \.isNewline).map(String.init).filter { !$0.isEmpty }
    try probe(paths, control: control) { path, result in
      emit(
        result.map { r in
          .object([
            "image": .string(path), "probabilities": .array(r.probabilities.map { .float($0) }),
            "bottleneck": .array(r.bottleneck.map { .float($0) }),
            "probabilities_int8": .array(r.int8Probabilities.map { .float($0) }),
          ])
        })
    }
  }

  /// One image's ``probe(_:control:emit:)``.
  public struct Probe: Sendable {
    /// Class probabilities from the fp32 bottleneck.
    public var probabilities: [Float]
    /// The fp32 bottleneck.
    public var bottleneck: [Float]
    /// Class probabilities from the int8 bottleneck.
    public var int8Probabilities: [Float]
  }
}

/// A `--probe` list that cannot be read.
public struct ProbeListError: Error, CustomStringConvertible {
  public let path: String
  public var description: String { "\(MessageText.escaped(path)): cannot read the image list" }
}
