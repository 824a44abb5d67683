import Foundation

/// Where `identify --crops-dir DIR` keeps a clip's crops, and how a report finds them again:
/// `DIR/<clip file name>-<first 8 hex digits of SHA-1(clip path as given)>/NNNN_<t>s.jpg`,
/// `NNNN` being the frame's index in the clip's timeline (0-based, 4 digits) and `t` its time
/// in seconds with 3 decimals. Only gameplay frames have crops.
public enum ClipCrops {
  /// The folder name of a clip's crops (the clip's file name, made safe, and a hash of the
  /// path as given, so two clips of the same name in different folders do not collide).
  public static func folderName(for clip: String) -> String {
    let name = (clip as NSString).lastPathComponent
    let safe = String(
      name.unicodeScalars.map { c -> Character in
        c == "/" || c == "\\" || c.value < 0x20 || c == ":" ? "_" : Character(c)
      })
    let trimmed = safe.hasPrefix(".") ? "_" + safe.dropFirst() : safe
    return trimmed + "-" + String(SHA1.hex(Data(clip.utf8)).prefix(8))
  }

  /// The file name of the crop of timeline frame `index` at `t` seconds.
  public static func fileName(index: Int, t: Double) -> String {
    String(format: "%04d_%.3fs.jpg", index, t)
  }

  /// Writes `crops` (timeline index, time, JPEG) of `clip` into its folder under `directory`,
  /// replacing what an earlier run left there; each file is written atomically.
  public static func save(
    _ crops: [(index: Int, t: Double, jpeg: Data)], clip: String, directory: String
  ) throws(ClipCropsError) {
    let folder = URL(fileURLWithPath: directory).appendingPathComponent(folderName(for: clip))
    let fm = FileManager.default
    do {
      if fm.fileExists(atPath: folder.path) { try fm.removeItem(at: folder) }
      try fm.createDirectory(at: folder, withIntermediateDirectories: true)
    } catch {
      throw ClipCropsError(path: folder.path, reason: error.localizedDescription)
    }
    for crop in crops {
      let url = folder.appendingPathComponent(fileName(index: crop.index, t: crop.t))
      do { try AtomicFile.write(crop.jpeg, to: url) } catch {
        throw ClipCropsError(path: url.path, reason: FileSystemError.cause(of: error))
      }
    }
  }

  /// The crops of `clip` found under `directory`, by timeline index.
  public static func load(directory: String, clip: String) -> [Int: Data] {
    let folder = URL(fileURLWithPath: directory).appendingPathComponent(folderName(for: clip))
    guard
      let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path)
    else { return [:] }
    var crops: [Int: Data] = [:]
    for name in names where name.hasSuffix(".jpg") {
      guard let index = Int(name.prefix { $0 != "_" }),
        let data = FileManager.default.contents(atPath: folder.appendingPathComponent(name).path)
      else { continue }
      crops[index] = data
    }
    return crops
  }
}

/// A clip's crops could not be written.
public struct ClipCropsError: Error, CustomStringConvertible, Equatable {
  public var path: String
  public var reason: String
  public var description: String { "\(MessageText.escaped(path)): cannot write crop (\(reason))" }
}
