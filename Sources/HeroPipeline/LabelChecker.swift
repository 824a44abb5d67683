import Foundation
import HeroCore
import Labeler

/// `extract --check-with MODEL` and `batch extract --check-with`: each labelled video is
/// identified with the model (its key frames, as `identify` reads them) and its label judged by
/// the segments found (``LabelCheck``); with `--drop-disagreeing`, the crops of a video that
/// mostly names another hero, or of its segments that do, stay out of the crop folder.
struct LabelChecker: Sendable {
  let job: IdentifyJob
  let drop: Bool
  /// The SHA-1 of the model's `model.json` (which holds its weights' SHA-1).
  let modelSHA1: String

  init(
    model: String, inception: String?, placement: HUDPlacement, drop: Bool, videos: Int,
    maxKeyFrames: Int?
  ) throws {
    var o = IdentifyJob.Options()
    o.model = model
    o.inception = inception
    o.placement = placement
    o.maxKeyFrames = maxKeyFrames
    job = try IdentifyJob(options: o, clips: videos)
    self.drop = drop
    modelSHA1 =
      (try? SHA1.hex(fileAt: (model as NSString).appendingPathComponent("model.json")))
      ?? model
  }

  /// Judges `staged`'s label and, with `drop`, takes the disagreeing crops out of it.
  func check(_ staged: inout StagedExtraction, control: JobControl) throws -> LabelCheck {
    let video = staged.result.video
    var check: LabelCheck
    switch job.identify(video, control: control) {
    case .success(let answer):
      check = LabelCheck.judge(label: staged.video.hero, answer: answer, heroes: job.model.labels)
      if drop {
        let before = staged.video.crops.count
        var frames = Set<Double>()
        staged.video.crops.removeAll {
          let out = check.drops(ptsSeconds: $0.ptsSeconds, segments: answer.segments)
          if out { frames.insert($0.ptsSeconds) }
          return out
        }
        check.dropped = before - staged.video.crops.count
        staged.result.kept -= frames.count
      }
    case .failure(let error):
      try control.checkCancelled()
      check = LabelCheck(verdict: .unchecked, label: staged.video.hero)
      check.reason = error.reason
    }
    return check
  }

  /// The journal option of `--drop-disagreeing` (it changes what a video adds to the folder):
  /// the model's weights, so a resumed batch drops by the same model.
  var journalValue: String { drop ? modelSHA1 : "" }
}
