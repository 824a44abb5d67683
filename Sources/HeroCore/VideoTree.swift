import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// One video found in a tree.
public struct VideoFile: Sendable, Equatable, Hashable {
  /// The path to open: the tree root as given, joined with `relativePath`.
  public var path: String
  /// The path relative to the tree root, `/`-separated (the file name when the root is a file).
  public var relativePath: String
  /// The name of the folder the video sits in (the hero, in a training tree).
  public var label: String

  public init(path: String, relativePath: String, label: String) {
    self.path = path
    self.relativePath = relativePath
    self.label = label
  }
}

/// Finds the videos under a folder: files whose extension is a video extension, in every
/// sub-folder, skipping hidden files and folders (names starting with `.`), sorted by relative
/// path. The label of a video is its parent folder's name, as `hero-id extract` uses it.
///
/// Symbolic links are followed, but each folder (by device and inode) is entered once: a link
/// back to a parent (a loop) or a second link to a folder already walked is skipped, so the walk
/// always ends and never lists a video twice.
public enum VideoTree {
  /// Extensions taken as videos (compared case-insensitively).
  public static let defaultExtensions: Set<String> = [
    "mp4", "m4v", "mov", "mkv", "webm", "avi", "flv", "ts", "mts", "m2ts", "mpg", "mpeg", "wmv",
    "3gp",
  ]

  /// Folders nested deeper than this are not entered.
  public static let maxDepth = 32

  /// The videos under `root`, sorted by relative path. `root` may also be a single video file.
  public static func videos(under root: String, extensions: Set<String> = defaultExtensions)
    throws -> [VideoFile]
  {
    try walk(under: root, extensions: extensions).videos
  }

  /// An entry with a video's name that is not a regular file (a named pipe, a device, a
  /// socket, or a link to one): skipped, since reading it could block or never end.
  public struct Skipped: Sendable, Equatable {
    public var path: String
    public var kind: String
    public init(path: String, kind: String) {
      self.path = path
      self.kind = kind
    }
    /// One line for the user: `<path>: skipped, <kind>, not a regular file`.
    public var message: String { MessageText.notRegularFile(path, "skipped, \(kind)") }
  }

  /// The videos under `root` (as ``videos(under:extensions:)``), and the entries with a
  /// video's name that are not regular files. A single `root` that is not a regular file
  /// throws ``VideoTreeError/notARegularFile(path:kind:)``.
  public static func walk(under root: String, extensions: Set<String> = defaultExtensions)
    throws -> (videos: [VideoFile], skipped: [Skipped])
  {
    let fm = FileManager.default
    let rootKind = FileKind.of(root)
    guard rootKind != .missing else { throw VideoTreeError.notFound(path: root) }
    let rootURL = URL(fileURLWithPath: root)
    if rootKind != .directory {
      guard rootKind == .regular else {
        throw VideoTreeError.notARegularFile(path: root, kind: rootKind.words)
      }
      let parent = rootURL.deletingLastPathComponent().lastPathComponent
      return ([VideoFile(path: root, relativePath: rootURL.lastPathComponent, label: parent)], [])
    }
    let wanted = Set(extensions.map { $0.lowercased() })
    var out: [VideoFile] = []
    var skipped: [Skipped] = []
    var visited = Set<FolderID>()
    func walk(_ dir: String, relative: String, depth: Int) throws {
      guard let id = FolderID(path: dir), visited.insert(id).inserted else { return }
      let names: [String]
      do { names = try fm.contentsOfDirectory(atPath: dir) } catch {
        throw VideoTreeError.unreadable(path: dir)
      }
      let label =
        relative.isEmpty
        ? rootURL.standardizedFileURL.lastPathComponent
        : String(relative.split(separator: "/").last ?? "")
      for name in names where !name.hasPrefix(".") {
        let full = dir.hasSuffix("/") ? dir + name : dir + "/" + name
        let rel = relative.isEmpty ? name : relative + "/" + name
        switch FileKind.of(full) {
        case .missing: continue  // a dangling link
        case .directory:
          if depth < maxDepth { try walk(full, relative: rel, depth: depth + 1) }
        case .regular:
          if wanted.contains((name as NSString).pathExtension.lowercased()) {
            out.append(VideoFile(path: full, relativePath: rel, label: label))
          }
        case .other(let kind):
          if wanted.contains((name as NSString).pathExtension.lowercased()) {
            skipped.append(Skipped(path: full, kind: kind))
          }
        }
      }
    }
    try walk(root, relative: "", depth: 0)
    out.sort { $0.relativePath.utf8.lexicographicallyPrecedes($1.relativePath.utf8) }
    skipped.sort { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
    return (out, skipped)
  }
}

/// A folder's identity (device and inode, after following links), to enter it only once.
struct FolderID: Hashable {
  var device: UInt64
  var inode: UInt64

  init?(path: String) {
    var info = stat()
    guard stat(path, &info) == 0 else { return nil }
    device = UInt64(info.st_dev)
    inode = UInt64(info.st_ino)
  }
}

/// A tree that cannot be walked; each case names the path.
public enum VideoTreeError: Error, CustomStringConvertible, Equatable {
  case notFound(path: String)
  case unreadable(path: String)
  case notARegularFile(path: String, kind: String)

  public var description: String {
    switch self {
    case .notFound(let p): "\(MessageText.escaped(p)): no such file or folder"
    case .unreadable(let p): "\(MessageText.escaped(p)): cannot list folder"
    case .notARegularFile(let p, let kind):
      "\(MessageText.escaped(p)): \(kind), not a regular file; refusing to read it"
    }
  }
}
