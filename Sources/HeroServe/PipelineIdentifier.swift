import Foundation
import HeroCore
import HeroPipeline

/// The server's ``ClipIdentifier``: the pipeline's identify job (HeroPipeline), one clip per
/// call, with its key-frame progress and gameplay crops passed on to the page.
public struct PipelineIdentifier: ClipIdentifier {
  public let job: IdentifyJob

  /// Wraps `job` (load it for `ServeOptions.concurrentJobs` clips at once) and applies its
  /// thread policy for the whole server.
  public init(job: IdentifyJob) {
    self.job = job
    job.policy.apply()
  }

  public func identify(
    path: String, video: String, cancellation: Cancellation,
    progress: @escaping @Sendable (IdentifyProgress) -> Void
  ) throws -> IdentifiedClip {
    var crops: [Int: Data] = [:]
    let result = job.identify(
      path, control: JobControl(observer: SilentObserver(), cancellation: cancellation),
      onFrame: { progress(IdentifyProgress(frames: $0, seconds: $1, duration: $2)) },
      onCrop: { index, _, jpeg in crops[index] = jpeg })
    let answer = try result.get()
    return IdentifiedClip(json: answer.json(video: video).text, crops: crops)
  }
}
