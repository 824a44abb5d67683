import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// An error that may carry the `errno` of the call that failed (``WriteError``,
/// ``FileSystemError``, ``JournalError``, a layer's own wrapper of them).
public protocol CarriesErrno: Error {
  /// `errno` of the failed call, nil when the error did not come from one.
  var errnoCode: Int32? { get }
}

extension WriteError: CarriesErrno {
  public var errnoCode: Int32? { code }
}

extension FileSystemError: CarriesErrno {
  public var errnoCode: Int32? { code }
}

/// Tells a failure of the machine from a failure of the input: a full disk or quota, a
/// read-only file system, permissions, an I/O error (``FileSystemError/isMachineFailure(code:)``).
/// The same command can succeed once the machine is fixed, so the batch commands do not settle
/// such a failure (a re-run retries it) and every command exits with ``exitStatus`` (75,
/// `EX_TEMPFAIL` of `sysexits.h`) instead of 1.
public enum MachineFailure {
  /// The exit status of a run that stopped or failed because of the machine.
  public static let exitStatus: Int32 = 75

  /// The errno of `error` when it is a failure of the machine, else nil: an error that
  /// ``CarriesErrno``, or a Foundation or POSIX error carrying an errno.
  public static func code(of error: any Error) -> Int32? {
    let code: Int32?
    if let e = error as? any CarriesErrno {
      code = e.errnoCode
    } else {
      code = FileSystemError.code(of: error)
    }
    guard let code, FileSystemError.isMachineFailure(code: code) else { return nil }
    return code
  }

  /// True when `error` is a failure of the machine (``code(of:)``).
  public static func isMachineFailure(_ error: any Error) -> Bool { code(of: error) != nil }
}
