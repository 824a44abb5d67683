import Inception
import InceptionKernels
import Foundation
import Testing

/// Zip archives written by hand: stored entries, the zip64 form, a compressed entry.
@Suite struct ZipArchiveTests {
  func le(_ v: Int, _ bytes: Int) -> [UInt8] { (0..<bytes).map { UInt8((v >> (8 * $0)) & 0xFF) } }

  /// An archive of stored entries; `zip64` saturates the classic fields and adds the zip64
  /// records; `method` is written as each entry's compression method.
  func archive(_ entries: [(String, [UInt8])], zip64: Bool = false, method: Int = 0) -> [UInt8] {
    var out: [UInt8] = []
    var central: [UInt8] = []
    for (name, data) in entries {
      let offset = out.count
      let n = Array(name.utf8)
      let pad = [UInt8](repeating: 0, count: 5)  // an extra field PyTorch-style, for alignment
      out += le(0x0403_4b50, 4) + le(20, 2) + le(0, 2) + le(method, 2) + le(0, 4) + le(0, 4)
      out += le(data.count, 4) + le(data.count, 4) + le(n.count, 2) + le(4 + pad.count, 2) + n
      out += le(0xFFFF, 2) + le(pad.count, 2) + pad + data
      var extra: [UInt8] = []
      if zip64 {
        extra = le(0x0001, 2) + le(24, 2) + le(data.count, 8) + le(data.count, 8) + le(offset, 8)
      }
      central += le(0x0201_4b50, 4) + le(45, 2) + le(45, 2) + le(0, 2) + le(method, 2) + le(0, 4)
      central += le(0, 4)
      central +=
        zip64 ? le(0xFFFF_FFFF, 4) + le(0xFFFF_FFFF, 4) : le(data.count, 4) + le(data.count, 4)
      central += le(n.count, 2) + le(extra.count, 2) + le(0, 2) + le(0, 2) + le(0, 2) + le(0, 4)
      central += (zip64 ? le(0xFFFF_FFFF, 4) : le(offset, 4)) + n + extra
    }
    let cdOffset = out.count
    out += central
    if zip64 {
      let record = out.count
      out += le(0x0606_4b50, 4) + le(44, 8) + le(45, 2) + le(45, 2) + le(0, 4) + le(0, 4)
      out += le(entries.count, 8) + le(entries.count, 8) + le(central.count, 8) + le(cdOffset, 8)
      out += le(0x0706_4b50, 4) + le(0, 4) + le(record, 8) + le(1, 4)
      out += le(0x0605_4b50, 4) + le(0, 4) + le(0xFFFF, 2) + le(0xFFFF, 2)
      out += le(0xFFFF_FFFF, 4) + le(0xFFFF_FFFF, 4) + le(0, 2)
    } else {
      out += le(0x0605_4b50, 4) + le(0, 4) + le(entries.count, 2) + le(entries.count, 2)
      out += le(central.count, 4) + le(cdOffset, 4) + le(0, 2)
    }
    return out
  }

  func write(_ bytes: [UInt8]) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent(
      "zip-\(UUID().uuidString).pt")
    try Data(bytes).write(to: url)
    return url
  }

  @Test(arguments: [false, true])
  func storedEntriesReadBack(zip64: Bool) throws {
    let url = try write(
      archive([("a/data.pkl", [1, 2, 3]), ("a/data/0", [9, 8, 7, 6])], zip64: zip64))
    defer { try? FileManager.default.removeItem(at: url) }
    let zip = try ZipArchive(path: url.path)
    #expect(Set(zip.names) == ["a/data.pkl", "a/data/0"])
    #expect(try zip.bytes(of: "a/data.pkl") == [1, 2, 3])
    #expect(try zip.bytes(of: "a/data/0") == [9, 8, 7, 6])
  }

  @Test func compressedOrMissingEntriesAreErrorsNamingTheFile() throws {
    let url = try write(archive([("x", [1, 2])], method: 8))
    defer { try? FileManager.default.removeItem(at: url) }
    let zip = try ZipArchive(path: url.path)
    #expect {
      try zip.bytes(of: "x")
    } throws: { "\($0)".contains(url.lastPathComponent) && "\($0)".contains("compressed") }
    #expect {
      try zip.bytes(of: "y")
    } throws: { "\($0)".contains("no entry y") }
  }

  @Test func truncatedArchiveIsAnError() throws {
    let whole = archive([("x", [1, 2, 3, 4])])
    let url = try write(Array(whole.dropLast(30)))
    defer { try? FileManager.default.removeItem(at: url) }
    #expect(throws: InceptionError.self) { try ZipArchive(path: url.path) }
  }
}
