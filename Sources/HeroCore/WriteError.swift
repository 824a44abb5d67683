import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// A file hero-id could not write (a staged crop, a model file, a journal, a report), naming
/// the path, what it is, and the system's reason: "…/李白_000011.jpg: cannot write staged crop
/// (No space left on device)".
///
/// ``isMachineFailure`` tells a failure of the machine (a full disk or quota, a read-only file
/// system, permissions: the same command can succeed once it is fixed) from one of the input.
public struct WriteError: Error, CustomStringConvertible, Equatable, Sendable {
  /// The file (or folder) that was being written.
  public var path: String
  /// What it is, in words: "staged crop", "model file", "report", ...
  public var what: String
  /// `errno` of the failed call, when the failure came from one.
  public var code: Int32?
  /// The reason in words: `strerror(code)`, or the error's own text when there is no errno.
  public var cause: String

  public init(path: String, what: String, code: Int32) {
    self.path = path
    self.what = what
    self.code = code
    cause = FileSystemError.text(code)
  }

  /// The write of `path` failed with `error`: its errno when it carries one (a
  /// ``FileSystemError``, a Foundation or POSIX error), else its text. A folder on the way that
  /// could not be made is named in the cause.
  public init(path: String, what: String, error: any Error) {
    self.path = path
    self.what = what
    if let e = error as? WriteError {
      code = e.code
      cause = e.path == path ? e.cause : "\(MessageText.escaped(e.path)): \(e.cause)"
      return
    }
    code = (error as? any CarriesErrno)?.errnoCode ?? FileSystemError.code(of: error)
    let text = FileSystemError.cause(of: error)
    if let e = error as? FileSystemError, e.path != path {
      cause = "\(MessageText.escaped(e.path)): \(text)"
    } else {
      cause = text
    }
  }

  /// True for a failure of the machine, not the input (``FileSystemError/isMachineFailure(code:)``:
  /// no space, quota, read-only, permission, I/O error).
  public var isMachineFailure: Bool { code.map(FileSystemError.isMachineFailure(code:)) ?? false }

  public var description: String {
    "\(MessageText.escaped(path)): cannot write \(what) (\(cause))"
  }
}
