import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// What a path is, after following links: only regular files are read as videos or images. A
/// named pipe, a device (a link to `/dev/zero`), or a socket named `*.mp4` would block a reader
/// or never end, so walks skip them and single paths are refused, naming the kind.
public enum FileKind: Equatable, Sendable {
  case regular
  case directory
  case missing
  /// Anything else, in words: "a named pipe", "a character device", ...
  case other(String)

  /// The kind of `path`, following symbolic links (a dangling link is `missing`). Only `stat`:
  /// the file is never opened.
  public static func of(_ path: String) -> FileKind {
    var info = stat()
    guard stat(path, &info) == 0 else { return .missing }
    return FileKind(mode: info.st_mode)
  }

  /// The kind of a `stat` mode.
  init(mode: mode_t) {
    self =
      switch mode & S_IFMT {
      case S_IFREG: .regular
      case S_IFDIR: .directory
      case S_IFIFO: .other("a named pipe")
      case S_IFCHR: .other("a character device")
      case S_IFBLK: .other("a block device")
      case S_IFSOCK: .other("a socket")
      default: .other("not a regular file")
      }
  }

  /// The words for a kind that is not read.
  public var words: String {
    switch self {
    case .regular: "a regular file"
    case .directory: "a folder"
    case .missing: "no such file"
    case .other(let w): w
    }
  }
}

/// A path that is not a regular file where one is read (``Syscalls/openRegularFile(_:)``).
public struct FileKindError: Error, CustomStringConvertible, Equatable {
  public var path: String
  public var kind: FileKind
  public init(path: String, kind: FileKind) {
    self.path = path
    self.kind = kind
  }
  public var description: String {
    MessageText.notRegularFile(path, kind.words) + "; refusing to read it"
  }
}

extension MessageText {
  /// `<path>: <what>, not a regular file`: the one wording for a path left unread for its kind,
  /// refused (``FileKindError``) or skipped by a walk (``VideoTree/Skipped``).
  static func notRegularFile(_ path: String, _ what: String) -> String {
    "\(escaped(path)): \(what), not a regular file"
  }
}

/// Text from outside (file names, hero names) made safe for a one-line message: control
/// characters (a newline, a tab, an escape sequence) and the Unicode line and paragraph
/// separators are written as `\n`, `\t`, `\u{1b}`, `\u{2028}`, so one error stays one line and
/// cannot move the terminal's cursor. The one helper for every path or name put in a message.
public enum MessageText {
  public static func escaped(_ text: String) -> String {
    func breaks(_ s: Unicode.Scalar) -> Bool {
      switch s.properties.generalCategory {
      case .control, .lineSeparator, .paragraphSeparator: true
      default: false
      }
    }
    guard text.unicodeScalars.contains(where: breaks) else { return text }
    var out = ""
    for s in text.unicodeScalars {
      switch s {
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      default:
        if breaks(s) {
          out += "\\u{\(String(s.value, radix: 16))}"
        } else {
          out.unicodeScalars.append(s)
        }
      }
    }
    return out
  }
}
