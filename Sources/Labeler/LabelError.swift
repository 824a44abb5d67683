import Foundation
import HeroCore

/// Errors of the labelled crop store; each description names the file (or the name) at fault.
public enum LabelError: Error, CustomStringConvertible, Equatable {
  /// A hero name that cannot be a folder or file name.
  case invalidHeroName(name: String, source: String, reason: String)
  /// A manifest that cannot be read or parsed (`line` is 1-based, 0 for the whole file).
  case badManifest(path: String, line: Int, reason: String)
  /// No label for a video: no `--hero`, no manifest row, no usable parent folder.
  case noLabel(video: String, reason: String)
  /// The crop folder or the index cannot be read or written.
  case storeFailed(path: String, reason: String)

  public var description: String {
    switch self {
    case .invalidHeroName(let name, let source, let reason):
      "\(MessageText.escaped(source)): invalid hero name \(HeroName.quoted(name)) (\(reason))"
    case .badManifest(let path, let line, let reason):
      line > 0
        ? "\(MessageText.escaped(path)):\(line): bad manifest row (\(reason))"
        : "\(MessageText.escaped(path)): bad manifest (\(reason))"
    case .noLabel(let video, let reason): "\(MessageText.escaped(video)): no hero label (\(reason))"
    case .storeFailed(let path, let reason): "\(MessageText.escaped(path)): \(reason)"
    }
  }
}
