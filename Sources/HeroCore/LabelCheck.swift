import Foundation

/// `extract --check-with MODEL` (issue 27): what a trained model says of a labelled video's
/// gameplay frames, read through its segments (``IdentifyResult/segments``). A video filed under
/// 李白 that shows 韩信 puts 韩信's icons into 李白's class; this finds it before training does.
///
/// The frames of each segment count for the label, for another hero or for "unknown". The video
/// **disagrees** when more of its segmented gameplay frames name other heroes than the label
/// and "unknown" together (it mostly shows someone else); it **partly** disagrees when only some
/// segments name another hero (a compilation, a friend's game in the middle). A model that does
/// not know the label, or names nobody in the video, cannot vouch for it: **unchecked**, with
/// the reason.
public struct LabelCheck: Codable, Sendable, Equatable {
  public enum Verdict: String, Codable, Sendable {
    case agrees, partly, disagrees, unchecked
  }

  public var verdict: Verdict
  /// The label as given.
  public var label: String
  /// The hero most of the other frames name (nil when none does).
  public var named: String?
  /// Gameplay frames of segments naming the label, another hero, or nobody ("unknown").
  public var labelFrames = 0
  public var otherFrames = 0
  public var unknownFrames = 0
  /// The segments naming another hero.
  public var disagreeing: [IdentifyResult.Segment] = []
  /// `--drop-disagreeing`: the crops kept out of the folder.
  public var dropped = 0
  /// Why it is unchecked.
  public var reason: String?

  public init(verdict: Verdict, label: String) {
    self.verdict = verdict
    self.label = label
  }

  /// Judges `label` by the model's answer for the video; `heroes` are the model's classes.
  /// Names compare under NFC, as class folders do.
  public static func judge(label: String, answer: IdentifyResult, heroes: [String]) -> LabelCheck {
    let canonical = label.precomposedStringWithCanonicalMapping
    var check = LabelCheck(verdict: .agrees, label: label)
    guard heroes.contains(where: { $0.precomposedStringWithCanonicalMapping == canonical }) else {
      check.verdict = .unchecked
      check.reason = "the model does not know \(label)"
      return check
    }
    guard !answer.segments.isEmpty else {
      check.verdict = .unchecked
      check.reason = answer.reason ?? "no gameplay frame read"
      return check
    }
    var others: [String: Int] = [:]
    for segment in answer.segments {
      switch segment.hero?.precomposedStringWithCanonicalMapping {
      case nil: check.unknownFrames += segment.frames
      case canonical?: check.labelFrames += segment.frames
      case let other?:
        check.otherFrames += segment.frames
        others[other, default: 0] += segment.frames
        check.disagreeing.append(segment)
      }
    }
    if check.labelFrames == 0 && check.otherFrames == 0 {
      // All "unknown": the model cannot vouch for the label, nor name another hero.
      check.verdict = .unchecked
      check.reason = "the model names no hero in its \(check.unknownFrames) gameplay frames"
      return check
    }
    check.named = others.max { ($0.value, $1.key) < ($1.value, $0.key) }?.key
    if check.otherFrames > check.labelFrames + check.unknownFrames {
      check.verdict = .disagrees
    } else if check.otherFrames > 0 {
      check.verdict = .partly
    }
    return check
  }

  /// Whether a crop at `ptsSeconds` is kept out by `--drop-disagreeing`: every crop of a video
  /// that disagrees; otherwise the crops of the segments naming another hero (a crop between
  /// segments belongs to the nearer one's end).
  public func drops(ptsSeconds t: Double, segments: [IdentifyResult.Segment]) -> Bool {
    switch verdict {
    case .agrees, .unchecked: return false
    case .disagrees: return true
    case .partly:
      guard
        let nearest = segments.min(by: {
          Self.distance(t, $0) < Self.distance(t, $1)
        })
      else { return false }
      return disagreeing.contains(nearest)
    }
  }

  private static func distance(_ t: Double, _ s: IdentifyResult.Segment) -> Double {
    t < s.start ? s.start - t : (t > s.end ? t - s.end : 0)
  }

  /// The one-line warning for stderr (nil when the label agrees).
  public var warning: String? {
    let total = labelFrames + otherFrames + unknownFrames
    switch verdict {
    case .agrees: return nil
    case .unchecked: return "label \(label) not checked: \(reason ?? "no answer")"
    case .disagrees, .partly:
      let spans = disagreeing.map {
        String(format: "%.1f-%.1f s %@", $0.start, $0.end, $0.hero ?? "?")
      }.joined(separator: ", ")
      let head =
        verdict == .disagrees
        ? "labelled \(label) but \(otherFrames) of \(total) gameplay frames name "
          + "\(named ?? "another hero")"
        : "labelled \(label), but \(otherFrames) of \(total) gameplay frames name another hero"
      return head + " (\(spans))" + (dropped > 0 ? "; \(dropped) crops kept out" : "")
    }
  }

  /// The `--json` object: `{"verdict", "label", "named", "frames": {"label", "other",
  /// "unknown"}, "disagreeing": [{start, end, hero, confidence, frames}], "dropped", "reason"}`.
  public var json: JSONValue {
    .object([
      "verdict": .string(verdict.rawValue), "label": .string(label), "named": .optional(named),
      "frames": .object([
        "label": .int(labelFrames), "other": .int(otherFrames), "unknown": .int(unknownFrames),
      ]),
      "disagreeing": .array(disagreeing.map(\.json)),
      "dropped": .int(dropped), "reason": reason.map { .string($0) },
    ])
  }
}
