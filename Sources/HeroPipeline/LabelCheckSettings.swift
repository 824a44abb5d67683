/// `--check-with MODEL` and `--drop-disagreeing` as `extract` and `batch extract` take them: a
/// trained model judges each video's label (``LabelCheck``, docs/training.md).
public struct LabelCheckSettings: Sendable, Equatable {
  /// The model that judges (nil: no check).
  public var checkWith: String?
  /// Keep the crops the check disputes out of the crop folder.
  public var dropDisagreeing = false

  public init(checkWith: String? = nil, dropDisagreeing: Bool = false) {
    self.checkWith = checkWith
    self.dropDisagreeing = dropDisagreeing
  }

  /// What is wrong with the flags, in their words (bad usage, exit 2), or nil: dropping needs
  /// a model to judge.
  public var usageProblem: String? {
    dropDisagreeing && checkWith == nil
      ? "--drop-disagreeing needs --check-with MODEL (the model that judges)" : nil
  }
}

/// The options of a job that can check labels (``LabelCheckSettings``).
public protocol LabelChecking {
  var checkWith: String? { get set }
  var dropDisagreeing: Bool { get set }
}

extension LabelChecking {
  /// `--check-with` and `--drop-disagreeing` as one value.
  public var labelCheck: LabelCheckSettings {
    get { LabelCheckSettings(checkWith: checkWith, dropDisagreeing: dropDisagreeing) }
    set {
      checkWith = newValue.checkWith
      dropDisagreeing = newValue.dropDisagreeing
    }
  }
}

extension ExtractJob.Options: LabelChecking {}
extension BatchExtractJob.Options: LabelChecking {}
