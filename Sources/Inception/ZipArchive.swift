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

  /// All entry names.
  public var names: [String] { Array(entries.keys) }

  /// The byte range of a stored entry's data inside `data`.
  func range(of name: String) throws -> Range<Int> {
    guard let e = entries[name] else { throw bad("no entry \(name)") }
    guard e.method == 0 else {
      throw bad("entry \(name) is compressed (method \(e.method)); only stored entries are read")
    }
    let h = e.localHeaderOffset
    guard h >= 0, h + 30 <= data.count, u32(h) == 0x0403_4b50 else {
      throw bad("entry \(name): no local header at offset \(h)")
    }
    let start = h + 30 + u16(h + 26) + u16(h + 28)
    guard start + e.size <= data.count else { throw bad("entry \(name) runs past the end") }
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

  private func u16(_ at: Int) -> Int {
    let b = data.startIndex + at
    return Int(data[b]) | Int(data[b + 1]) << 8
  }

  private func u32(_ at: Int) -> Int { u16(at) | u16(at + 2) << 16 }
  private func u64(_ at: Int) -> Int { u32(at) | u32(at + 4) << 32 }

  private mutating func readCentralDirectory() throws {
    let n = data.count
    guard n >= 22 else { throw bad("not a zip archive (too short)") }
    var eocd = -1
    var p = n - 22
    let lowest = max(0, n - 22 - 65_535)
    while p >= lowest {
      if u32(p) == 0x0605_4b50 {
        eocd = p
        break
      }
      p -= 1
    }
    guard eocd >= 0 else { throw bad("not a zip archive (no end of central directory)") }
    var count = u16(eocd + 10)
    var cdSize = u32(eocd + 12)
    var cdOffset = u32(eocd + 16)
    if count == 0xFFFF || cdSize == 0xFFFF_FFFF || cdOffset == 0xFFFF_FFFF {
      let loc = eocd - 20
      guard loc >= 0, u32(loc) == 0x0706_4b50 else { throw bad("zip64 locator missing") }
      let rec = u64(loc + 8)
      guard rec >= 0, rec + 56 <= n, u32(rec) == 0x0606_4b50 else {
        throw bad("zip64 end of central directory missing")
      }
      count = u64(rec + 32)
      cdSize = u64(rec + 40)
      cdOffset = u64(rec + 48)
    }
    guard cdOffset >= 0, cdSize >= 0, cdOffset + cdSize <= n else {
      throw bad("central directory out of range")
    }
    var q = cdOffset
    entries.reserveCapacity(count)
    for _ in 0..<count {
      guard q + 46 <= n, u32(q) == 0x0201_4b50 else { throw bad("corrupt central directory") }
      let method = u16(q + 10)
      var compressed = u32(q + 20)
      var size = u32(q + 24)
      let nameLength = u16(q + 28)
      let extraLength = u16(q + 30)
      let commentLength = u16(q + 32)
      var offset = u32(q + 42)
      guard q + 46 + nameLength + extraLength + commentLength <= n else {
        throw bad("corrupt central directory")
      }
      let nameStart = data.startIndex + q + 46
      let name = String(decoding: data[nameStart..<(nameStart + nameLength)], as: UTF8.self)
      // zip64 extended information: the saturated fields, in this order.
      var e = q + 46 + nameLength
      let extraEnd = e + extraLength
      while e + 4 <= extraEnd {
        let id = u16(e)
        let len = u16(e + 2)
        if id == 0x0001 {
          var f = e + 4
          if size == 0xFFFF_FFFF, f + 8 <= e + 4 + len {
            size = u64(f)
            f += 8
          }
          if compressed == 0xFFFF_FFFF, f + 8 <= e + 4 + len {
            compressed = u64(f)
            f += 8
          }
          if offset == 0xFFFF_FFFF, f + 8 <= e + 4 + len { offset = u64(f) }
        }
        e += 4 + len
      }
      entries[name] = Entry(
        name: name, method: method, compressedSize: compressed, size: size,
        localHeaderOffset: offset)
      q += 46 + nameLength + extraLength + commentLength
    }
  }
}
