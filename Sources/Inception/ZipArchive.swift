import Foundation

/// A read-only view of a zip archive whose entries are *stored* (not compressed), as PyTorch
/// writes TorchScript archives.
///
/// The file is mapped (`Data(contentsOf:options: .alwaysMapped)`), never read whole. Format
/// read (PKWARE APPNOTE 6.3): the end-of-central-directory record (signature `PK\5\6`, found by
/// scanning back over at most 64 KiB of comment), and when any of its fields is saturated
/// (`0xFFFF` / `0xFFFFFFFF`) the zip64 end-of-central-directory locator (`PK\6\7`) and record
/// (`PK\6\6`). The central directory (`PK\1\2` per entry) gives each entry's name, compression
/// method, sizes and local-header offset (zip64 extra field `0x0001` when those are saturated).
/// An entry's data starts after its local header (`PK\3\4`, 30 bytes + name + extra field, whose
/// lengths are taken from the local header itself, since PyTorch pads there to align tensors).
/// Only stored entries (method 0) can be read; a compressed entry is reported, not inflated.
public struct ZipArchive {
  struct Entry {
    let name: String
    let method: Int
    let compressedSize: Int
    let size: Int
    let localHeaderOffset: Int
  }

  /// The archive's path (named in errors).
  public let path: String
  let data: Data
  private(set) var entries: [String: Entry] = [:]

  /// Maps the archive at `path` and reads its central directory.
  public init(path: String) throws {
    self.path = path
    guard FileManager.default.fileExists(atPath: path) else {
      throw InceptionError.missingFile(path: path)
    }
    do {
      data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
    } catch {
      throw InceptionError.unreadable(path: path, reason: error.localizedDescription)
    }
    try readCentralDirectory()
  }

  /// Reads the central directory of an archive held in memory; `path` names it in errors
  /// (tests and the fuzz target `zip`).
  public init(data: Data, path: String) throws {
    self.path = path
    self.data = data
    try readCentralDirectory()
  }

  /// The bytes of every stored entry, by name, in name order (entries that cannot be read are
  /// skipped); for tests and fuzzing.
  public func storedEntries() -> [(name: String, bytes: [UInt8])] {
    names.sorted().compactMap { name in (try? bytes(of: name)).map { (name, $0) } }
  }

  /// All entry names.
  public var names: [String] { Array(entries.keys) }

  /// The byte range of a stored entry's data inside `data`.
  func range(of name: String) throws -> Range<Int> {
    guard let e = entries[name] else { throw bad("no entry \(name)") }
    guard e.method == 0 else {
      throw bad("entry \(name) is compressed (method \(e.method)); only stored entries are read")
    }
    let h = e.localHeaderOffset
    guard h >= 0, h <= data.count - 30, try u32(h) == 0x0403_4b50 else {
      throw bad("entry \(name): no local header at offset \(h)")
    }
    // h + 30 + two 16-bit lengths: at most data.count + 131070, no overflow.
    let start = h + 30 + (try u16(h + 26)) + (try u16(h + 28))
    guard e.size >= 0, start <= data.count, e.size <= data.count - start else {
      throw bad("entry \(name) runs past the end")
    }
    return start..<(start + e.size)
  }

  /// Copies a stored entry's bytes.
  public func bytes(of name: String) throws -> [UInt8] {
    let r = try range(of: name)
    return [UInt8](data[(data.startIndex + r.lowerBound)..<(data.startIndex + r.upperBound)])
  }

  private func bad(_ why: String) -> InceptionError {
    .malformed(path: path, reason: why)
  }

  // Little-endian reads; each checks that the bytes lie inside the file.
  private func u16(_ at: Int) throws -> Int {
    guard at >= 0, at <= data.count - 2 else { throw bad("read past the end at offset \(at)") }
    let b = data.startIndex + at
    return Int(data[b]) | Int(data[b + 1]) << 8
  }

  private func u32(_ at: Int) throws -> Int { try u16(at) | (try u16(at + 2)) << 16 }

  /// A 64-bit field as an Int; a value above `Int.max` (which no real file offset or count
  /// reaches) comes back as `Int.max`, so that the range checks that follow refuse it.
  private func u64(_ at: Int) throws -> Int {
    let low = UInt64(try u32(at))
    let high = UInt64(try u32(at + 4))
    let v = low | high << 32
    return v > UInt64(Int.max) ? Int.max : Int(v)
  }

  private mutating func readCentralDirectory() throws {
    let n = data.count
    guard n >= 22 else { throw bad("not a zip archive (too short)") }
    var eocd = -1
    var p = n - 22
    let lowest = max(0, n - 22 - 65_535)
    while p >= lowest {
      if try u32(p) == 0x0605_4b50 {
        eocd = p
        break
      }
      p -= 1
    }
    guard eocd >= 0 else { throw bad("not a zip archive (no end of central directory)") }
    var count = try u16(eocd + 10)
    var cdSize = try u32(eocd + 12)
    var cdOffset = try u32(eocd + 16)
    if count == 0xFFFF || cdSize == 0xFFFF_FFFF || cdOffset == 0xFFFF_FFFF {
      let loc = eocd - 20
      guard loc >= 0, try u32(loc) == 0x0706_4b50 else { throw bad("zip64 locator missing") }
      let rec = try u64(loc + 8)
      guard rec <= n - 56, try u32(rec) == 0x0606_4b50 else {
        throw bad("zip64 end of central directory missing (the locator points to offset \(rec))")
      }
      count = try u64(rec + 32)
      cdSize = try u64(rec + 40)
      cdOffset = try u64(rec + 48)
    }
    guard cdOffset <= n, cdSize <= n - cdOffset else {
      throw bad("central directory out of range")
    }
    // Each entry takes at least 46 bytes of the central directory.
    guard count <= cdSize / 46 else {
      throw bad("\(count) entries cannot fit in a central directory of \(cdSize) bytes")
    }
    var q = cdOffset
    let cdEnd = cdOffset + cdSize
    entries.reserveCapacity(count)
    for _ in 0..<count {
      guard q <= cdEnd - 46, try u32(q) == 0x0201_4b50 else {
        throw bad("corrupt central directory")
      }
      let method = try u16(q + 10)
      var compressed = try u32(q + 20)
      var size = try u32(q + 24)
      let nameLength = try u16(q + 28)
      let extraLength = try u16(q + 30)
      let commentLength = try u16(q + 32)
      var offset = try u32(q + 42)
      // q + 46 + three 16-bit lengths stays far below Int.max.
      guard q + 46 + nameLength + extraLength + commentLength <= cdEnd else {
        throw bad("corrupt central directory")
      }
      let nameStart = data.startIndex + q + 46
      let name = String(decoding: data[nameStart..<(nameStart + nameLength)], as: UTF8.self)
      // zip64 extended information: the saturated fields, in this order.
      var e = q + 46 + nameLength
      let extraEnd = e + extraLength
      while e + 4 <= extraEnd {
        let id = try u16(e)
        let len = try u16(e + 2)
        let fieldEnd = min(e + 4 + len, extraEnd)
        if id == 0x0001 {
          var f = e + 4
          if size == 0xFFFF_FFFF, f + 8 <= fieldEnd {
            size = try u64(f)
            f += 8
          }
          if compressed == 0xFFFF_FFFF, f + 8 <= fieldEnd {
            compressed = try u64(f)
            f += 8
          }
          if offset == 0xFFFF_FFFF, f + 8 <= fieldEnd { offset = try u64(f) }
        }
        e += 4 + len
      }
      guard size <= n, compressed <= n, offset <= n else {
        throw bad("entry \(name) claims sizes or an offset beyond the file")
      }
      entries[name] = Entry(
        name: name, method: method, compressedSize: compressed, size: size,
        localHeaderOffset: offset)
      q += 46 + nameLength + extraLength + commentLength
    }
  }
}
