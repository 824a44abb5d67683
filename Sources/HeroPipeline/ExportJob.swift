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
  /// through Inception v3 and the model's final layer, as `identify` does for a crop), handed
  /// to `emit` in order; an image that cannot be read gets its error.
  public func probe(
    _ images: [String], control: JobControl,
    emit: (String, Result<(probabilities: [Float], bottleneck: [Float]), any Error>) -> Void
  ) throws {
    var o = BottleneckJob.Options()
    o.inception = network.path
    o.threads = 1
    let bottlenecks = try BottleneckJob(options: o)
    try bottlenecks.run(images, control: control) { path, result in
      emit(path, result.map { (model.heroProbabilities(model.layer.probabilities($0)), $0) })
    }
  }
}
