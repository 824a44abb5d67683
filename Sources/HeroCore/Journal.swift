import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// An append-only journal of JSON records, one per line (JSONL), that survives `kill -9`.
///
/// Format: UTF-8, one JSON object per line, each line ending in `\n`. Every record is written
/// whole with a single `write(2)` on a descriptor opened with `O_APPEND`, then `fsync(2)`, so
/// after a crash the file holds every record that `append` returned for, plus at most one torn
/// last line (no final `\n`). Reading ignores that torn line; opening for append cuts it off
/// first, so the next record starts on a line of its own.
///
/// The journal is owned by one task (or actor) at a time: it is a class that owns a file
/// descriptor, and is deliberately not `Sendable`.
public final class Journal {
  /// The journal file.
  public let url: URL
  private var descriptor: Int32
  private let encoder: JSONEncoder

  /// Opens (creating it and its folder if needed) the journal at `url` for appending.
  /// A torn last line left by a killed writer is truncated away.
  public init(url: URL) throws {
    self.url = url
    let dir = url.deletingLastPathComponent()
    do { try Syscalls.createFolder(dir.path) } catch {
      let e = WriteError(path: dir.path, what: "", error: error)
      throw JournalError.cannotOpen(
        path: url.path, reason: "cannot create its folder: \(e.cause)", code: e.code)
    }
    let fd: Int32
    do { fd = try Syscalls.open(url.path, O_RDWR | O_CREAT | O_APPEND) } catch let e
      as FileSystemError
    {
      throw JournalError.cannotOpen(path: url.path, reason: e.reason, code: e.code)
    }
    descriptor = fd
    encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    do { try cutTornTail() } catch {
      Syscalls.close(fd)
      throw error
    }
  }

  deinit { Syscalls.close(descriptor) }

  /// Appends `record` as one line: one `write(2)` of the whole line, then `fsync(2)`.
  /// When this returns, the record is on disk. When the write fails (a full disk may take part
  /// of the line), the file is cut back to its length before, so a later record (after space
  /// was freed) still starts on a line of its own.
  public func append<Record: Encodable>(_ record: Record) throws {
    var line: Data
    do { line = try encoder.encode(record) } catch {
      throw JournalError.writeFailed(path: url.path, reason: "cannot encode record (\(error))")
    }
    line.append(0x0A)
    let before = try? Syscalls.seekEnd(descriptor, path: url.path)
    do { try Self.writeWhole(line, to: descriptor, path: url.path) } catch {
      if let before { try? Syscalls.truncate(descriptor, to: before, path: url.path) }
      throw error
    }
  }

  /// Appends `data` (whole lines, each ending in `\n`) to the file at `url`, creating it if
  /// needed, with one `write(2)` and an `fsync(2)`. Returns the file's size before the write,
  /// so a caller can truncate back to it to undo the append.
  @discardableResult
  public static func appendWhole(_ data: Data, to url: URL) throws -> Int64 {
    let fd: Int32
    do { fd = try Syscalls.open(url.path, O_WRONLY | O_CREAT | O_APPEND) } catch let e
      as FileSystemError
    {
      throw JournalError.cannotOpen(path: url.path, reason: e.reason, code: e.code)
    }
    defer { Syscalls.close(fd) }
    let before = (try? Syscalls.seekEnd(fd, path: url.path)) ?? 0
    try writeWhole(data, to: fd, path: url.path)
    return before
  }

  /// One `write(2)` of all of `data`, then `fsync(2)` (``Syscalls/writeAll(_:to:path:sync:)``).
  private static func writeWhole(_ data: Data, to fd: Int32, path: String) throws {
    do { try Syscalls.writeAll(data, to: fd, path: path) } catch let e as FileSystemError {
      throw JournalError.writeFailed(
        path: path, reason: (e.call == "fsync" ? "fsync: " : "") + e.reason, code: e.code)
    }
  }

  /// Reads the records of the journal at `url` (none when the file does not exist).
  /// A torn last line is ignored; any other line that does not decode is counted in
  /// `skippedLines` (it cannot come from this writer, but a hand-edited file should not stop
  /// a run).
  public static func read<Record: Decodable>(_ type: Record.Type, from url: URL) throws
    -> JournalContents<Record>
  {
    guard FileManager.default.fileExists(atPath: url.path) else {
      return JournalContents(records: [], tornTail: false, skippedLines: 0)
    }
    let data: Data
    do { data = try Data(contentsOf: url) } catch {
      throw JournalError.cannotRead(path: url.path, reason: "\(error.localizedDescription)")
    }
    return decode(type, from: data)
  }

  /// The records in `data` (the bytes of a journal file), as ``read(_:from:)`` reads them.
  public static func decode<Record: Decodable>(_ type: Record.Type, from data: Data)
    -> JournalContents<Record>
  {
    let decoder = JSONDecoder()
    var records: [Record] = []
    var skipped = 0
    var start = data.startIndex
    while let nl = data[start...].firstIndex(of: 0x0A) {
      let line = data[start..<nl]
      start = data.index(after: nl)
      if line.allSatisfy({ $0 == 0x20 || $0 == 0x0D }) { continue }
      if let r = try? decoder.decode(Record.self, from: line) {
        records.append(r)
      } else {
        skipped += 1
      }
    }
    return JournalContents(records: records, tornTail: start < data.endIndex, skippedLines: skipped)
  }

  /// Truncates the file after its last `\n` when it does not end with one.
  private func cutTornTail() throws {
    let size: Int64
    do { size = try Syscalls.seekEnd(descriptor, path: url.path) } catch let e as FileSystemError {
      throw JournalError.cannotRead(path: url.path, reason: e.reason)
    }
    guard size > 0 else { return }
    // Scan backwards in small blocks for the last newline.
    var end = Int64(size)
    var keep: Int64 = 0
    var block = [UInt8](repeating: 0, count: 4096)
    var lastByteChecked = false
    scan: while end > 0 {
      let start = max(0, end - Int64(block.count))
      let want = Int(end - start)
      let got = try block.withUnsafeMutableBytes { raw -> Int in
        guard let base = raw.baseAddress else { return 0 }
        do {
          return try Syscalls.read(descriptor, into: base, count: want, at: start, path: url.path)
        } catch let e as FileSystemError {
          throw JournalError.cannotRead(path: url.path, reason: e.reason)
        }
      }
      guard got == want else {
        throw JournalError.cannotRead(path: url.path, reason: "short read")
      }
      if !lastByteChecked {
        lastByteChecked = true
        if block[want - 1] == 0x0A { return }  // ends cleanly
      }
      for i in stride(from: want - 1, through: 0, by: -1) where block[i] == 0x0A {
        keep = start + Int64(i) + 1
        break scan
      }
      end = start
    }
    do {
      try Syscalls.truncate(descriptor, to: keep, path: url.path)
      try Syscalls.fsync(descriptor, path: url.path)
    } catch let e as FileSystemError {
      throw JournalError.writeFailed(path: url.path, reason: "truncate: " + e.reason, code: e.code)
    }
  }
}

/// What `Journal.read` found.
public struct JournalContents<Record> {
  /// The complete records, in the order they were appended.
  public var records: [Record]
  /// True when the file ended in a torn line (a writer was killed mid-record); it was ignored.
  public var tornTail: Bool
  /// Complete lines that did not decode as `Record` (ignored).
  public var skippedLines: Int
}

extension JournalContents: Sendable where Record: Sendable {}

/// Errors of the journal; each names the file. `code` is the errno of the failed call, when
/// one failed (so a full disk is told from a bad journal, ``MachineFailure``).
public enum JournalError: Error, CustomStringConvertible, CarriesErrno {
  case cannotOpen(path: String, reason: String, code: Int32? = nil)
  case cannotRead(path: String, reason: String)
  case writeFailed(path: String, reason: String, code: Int32? = nil)

  public var description: String {
    switch self {
    case .cannotOpen(let p, let r, _): "\(MessageText.escaped(p)): cannot open journal (\(r))"
    case .cannotRead(let p, let r): "\(MessageText.escaped(p)): cannot read journal (\(r))"
    case .writeFailed(let p, let r, _): "\(MessageText.escaped(p)): cannot write journal (\(r))"
    }
  }

  public var errnoCode: Int32? {
    switch self {
    case .cannotOpen(_, _, let c), .writeFailed(_, _, let c): c
    case .cannotRead: nil
    }
  }
}
