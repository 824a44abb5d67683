import Foundation
import Inception
import InceptionKernels
import Testing

/// Crafted TorchScript archives and pickles (issue 14): errors, never a trap, a hang or memory
/// corruption.
@Suite("Hostile archives and pickles")
struct HostileArchiveTests {
  func le(_ v: Int, _ bytes: Int) -> [UInt8] { (0..<bytes).map { UInt8((v >> (8 * $0)) & 0xFF) } }
  func le64(_ v: UInt64) -> [UInt8] { (0..<8).map { UInt8((v >> (8 * UInt64($0))) & 0xFF) } }

  /// An end-of-central-directory record with saturated fields, preceded by a zip64 locator
  /// pointing at `record`, optionally after `body`.
  func zip64Tail(body: [UInt8] = [], record: UInt64) -> [UInt8] {
    body + le(0x0706_4b50, 4) + le(0, 4) + le64(record) + le(1, 4)
      + le(0x0605_4b50, 4) + le(0, 4) + le(0xFFFF, 2) + le(0xFFFF, 2)
      + le(0xFFFF_FFFF, 4) + le(0xFFFF_FFFF, 4) + le(0, 2)
  }

  func zipError(_ bytes: [UInt8]) -> String? {
    do {
      let zip = try ZipArchive(data: Data(bytes), path: "crafted.pt")
      _ = zip.storedEntries()
      return nil
    } catch { return "\(error)" }
  }

  @Test("a zip64 locator pointing far past the end is an error (was an overflow trap)")
  func zip64LocatorPastTheEnd() {
    for record: UInt64 in [1 << 40, UInt64(Int.max) - 20, UInt64.max, UInt64(Int.max)] {
      let text = zipError(zip64Tail(record: record))
      #expect(text?.contains("zip64 end of central directory missing") == true, "\(record)")
      #expect(text?.contains("crafted.pt") == true)
    }
  }

  /// A zip64 record (at offset 0) with the given count, size and offset of the directory.
  func zip64Record(count: UInt64, size: UInt64, offset: UInt64) -> [UInt8] {
    let record =
      le(0x0606_4b50, 4) + le(44, 8) + le(45, 2) + le(45, 2) + le(0, 4) + le(0, 4)
      + le64(count) + le64(count) + le64(size) + le64(offset)
    return zip64Tail(body: record, record: 0)
  }

  @Test("central directory offsets, sizes and counts beyond the file are errors")
  func directoryOutOfRange() {
    let big = UInt64(Int.max)
    #expect(
      zipError(zip64Record(count: 1, size: 100, offset: big - 10))?.contains("out of range") == true
    )
    #expect(
      zipError(zip64Record(count: 1, size: big, offset: 10))?.contains("out of range") == true)
    #expect(zipError(zip64Record(count: big, size: 46, offset: 0))?.contains("cannot fit") == true)
    #expect(
      zipError(zip64Record(count: UInt64.max, size: 0, offset: 0))?.contains("cannot fit") == true)
  }

  /// One stored entry whose zip64 extra field gives `offset` and `size`.
  func entry(offset: UInt64, size: UInt64, nameLength: Int = 1, localExtra: Int = 0) -> [UInt8] {
    var out = le(0x0403_4b50, 4) + le(20, 2) + le(0, 2) + le(0, 2) + le(0, 4) + le(0, 4)
    out += le(4, 4) + le(4, 4) + le(nameLength, 2) + le(localExtra, 2) + [0x78] + [1, 2, 3, 4]
    let extra = le(0x0001, 2) + le(24, 2) + le64(size) + le64(size) + le64(offset)
    let cdOffset = out.count
    var central = le(0x0201_4b50, 4) + le(45, 2) + le(45, 2) + le(0, 2) + le(0, 2) + le(0, 4)
    central += le(0, 4) + le(0xFFFF_FFFF, 4) + le(0xFFFF_FFFF, 4) + le(1, 2) + le(extra.count, 2)
    central += le(0, 2) + le(0, 2) + le(0, 2) + le(0, 4) + le(0xFFFF_FFFF, 4) + [0x78] + extra
    out += central
    out += le(0x0605_4b50, 4) + le(0, 4) + le(1, 2) + le(1, 2) + le(central.count, 4)
    out += le(cdOffset, 4) + le(0, 2)
    return out
  }

  @Test("entry offsets and sizes near Int.max are errors, not wrapped reads")
  func entryOutOfRange() throws {
    let big = UInt64(Int.max)
    #expect(zipError(entry(offset: big, size: 4))?.contains("beyond the file") == true)
    #expect(zipError(entry(offset: 0, size: big - 10))?.contains("beyond the file") == true)
    #expect(zipError(entry(offset: UInt64.max, size: 4))?.contains("beyond the file") == true)
    // A local header whose extra-field length runs past the end.
    let zip = try ZipArchive(data: Data(entry(offset: 0, size: 4, localExtra: 0xFFFF)), path: "x")
    #expect { try zip.bytes(of: "x") } throws: { "\($0)".contains("runs past the end") }
    // The well-formed one reads back.
    let good = try ZipArchive(data: Data(entry(offset: 0, size: 4)), path: "x")
    #expect(try good.bytes(of: "x") == [1, 2, 3, 4])
  }

  @Test("every truncation and every single-byte change of an archive is handled")
  func mutations() {
    let whole = entry(offset: 0, size: 4)
    for cut in 0...whole.count { _ = zipError(Array(whole.prefix(cut))) }
    for i in whole.indices {
      for v: UInt8 in [0, 0xFF, 0x7F, 0x80] {
        var b = whole
        b[i] = v
        _ = zipError(b)
      }
    }
  }

  // MARK: Pickles

  func parseError(_ p: [UInt8]) -> String? {
    do {
      _ = try Pickle.parse(p, file: "t.pkl")
      return nil
    } catch { return error.description }
  }

  @Test("a list, dict or object that would contain itself is refused (no cycle, no leak)")
  func cycles() {
    // l = []; l.append(l)
    #expect(parseError([0x80, 2, 0x5D, 0x32, 0x61, 0x2E])?.contains("changed after") == true)
    // d = {}; d[d] = d
    #expect(parseError([0x80, 2, 0x7D, 0x32, 0x32, 0x73, 0x2E])?.contains("changed after") == true)
    // l = []; memo[0] = l; t = (l,); l.append(t)
    #expect(
      parseError([0x80, 2, 0x5D, 0x71, 0, 0x32, 0x85, 0x61, 0x2E])?.contains("changed after")
        == true)
    let obj: [UInt8] = [0x63] + Array("m\nC\n".utf8) + [0x29, 0x81]
    // o = C(); o.__setstate__(o)
    #expect(parseError([0x80, 2] + obj + [0x32, 0x62, 0x2E])?.contains("changed after") == true)
    // APPENDS of the list itself
    #expect(
      parseError([0x80, 2, 0x5D, 0x32, 0x28, 0x32, 0x65, 0x2E])?.contains("changed after") == true)
  }

  @Test("nesting deeper than Pickle.maxDepth is refused (was unbounded recursion)")
  func depth() {
    let deep: [UInt8] = [0x80, 2, 0x4E] + [UInt8](repeating: 0x85, count: 100_000) + [0x2E]
    #expect(parseError(deep)?.contains("deeper") == true)
    let lists: [UInt8] =
      [0x80, 2] + [UInt8](repeating: 0x5D, count: 50_000)
      + [UInt8](repeating: 0x61, count: 49_999) + [0x2E]
    #expect(parseError(lists)?.contains("deeper") == true)
    let ok: [UInt8] =
      [0x80, 2, 0x4E] + [UInt8](repeating: 0x85, count: Pickle.maxDepth - 1) + [0x2E]
    #expect(parseError(ok) == nil)
  }

  @Test("a long string describes itself in bounded text (found by the fuzz target pickle)")
  func longStringDescription() throws {
    let text = [UInt8](repeating: 0x61, count: 10_000)
    let p: [UInt8] = [0x80, 2, 0x58] + [0x10, 0x27, 0, 0] + text + [0x2E]
    let v = try Pickle.parse(p, file: "t.pkl")
    #expect(v.description.count <= 310)
    #expect(v.description.hasPrefix("'aaa"))
  }

  @Test("a value shared 2^60 times describes itself in bounded text")
  func sharedDescription() throws {
    // x = None; 60 times: x = (x, x)
    var p: [UInt8] = [0x80, 2, 0x4E]
    for _ in 0..<60 { p += [0x32, 0x86] }
    p += [0x2E]
    let v = try Pickle.parse(p, file: "t.pkl")
    #expect(v.description.count <= 310)
  }

  /// SHORT_BINUNICODE.
  func s(_ text: String) -> [UInt8] { [0x8C, UInt8(text.utf8.count)] + Array(text.utf8) }
  func global(_ module: String, _ name: String) -> [UInt8] {
    [0x63] + Array("\(module)\n\(name)\n".utf8)
  }
  func long(_ v: Int) -> [UInt8] { [0x8A, 8] + le(v, 8) }

  /// A module tree `layers.conv.weight` = a tensor of shape [32, 3, 3, 3] whose offset and
  /// storage size are `offset` and `numel`, in an archive with a 16-byte storage.
  func archive(offset: Int, numel: Int) -> [UInt8] {
    let pid =
      [0x28] + s("storage") + global("torch", "FloatStorage") + s("0") + s("cpu")
      + long(numel) + [0x74, 0x51]
    let tensor =
      global("torch._utils", "_rebuild_tensor_v2") + [0x28] + pid + long(offset)
      + [0x28, 0x4B, 32, 0x4B, 3, 0x4B, 3, 0x4B, 3, 0x74] + [
        0x28, 0x4B, 27, 0x4B, 9, 0x4B, 3, 0x4B, 1, 0x74,
      ]
      + [0x89, 0x74, 0x52]
    func object(_ name: String, _ key: String, _ value: [UInt8]) -> [UInt8] {
      global("__torch__", name) + [0x29, 0x81, 0x7D] + s(key) + value + [0x73, 0x62]
    }
    let pickle =
      [0x80, 2] + object("Net", "layers", object("L", "conv", object("C", "weight", tensor))) + [
        0x2E
      ]
    return storedZip([("a/data.pkl", pickle), ("a/data/0", [UInt8](repeating: 0, count: 16))])
  }

  func storedZip(_ entries: [(String, [UInt8])]) -> [UInt8] {
    var out: [UInt8] = []
    var central: [UInt8] = []
    for (name, data) in entries {
      let offset = out.count
      let n = Array(name.utf8)
      out += le(0x0403_4b50, 4) + le(20, 2) + le(0, 2) + le(0, 2) + le(0, 4) + le(0, 4)
      out += le(data.count, 4) + le(data.count, 4) + le(n.count, 2) + le(0, 2) + n + data
      central += le(0x0201_4b50, 4) + le(20, 2) + le(20, 2) + le(0, 2) + le(0, 2) + le(0, 4)
      central += le(0, 4) + le(data.count, 4) + le(data.count, 4) + le(n.count, 2) + le(0, 2)
      central += le(0, 2) + le(0, 2) + le(0, 2) + le(0, 4) + le(offset, 4) + n
    }
    let cdOffset = out.count
    out += central
    out += le(0x0605_4b50, 4) + le(0, 4) + le(entries.count, 2) + le(entries.count, 2)
    out += le(central.count, 4) + le(cdOffset, 4) + le(0, 2)
    return out
  }

  func weightsError(_ bytes: [UInt8]) -> String {
    do {
      _ = try InceptionWeights.load(unverified: ZipArchive(data: Data(bytes), path: "w.pt"))
      return ""
    } catch { return "\(error)" }
  }

  @Test("tensor offsets and storage sizes from the pickle cannot overflow")
  func tensorArithmetic() {
    // The well-formed tree gets as far as the second parameter.
    #expect(weightsError(archive(offset: 0, numel: 4)).contains("exceed storage"))
    #expect(weightsError(archive(offset: Int.max, numel: Int.max)).contains("exceed storage"))
    #expect(weightsError(archive(offset: Int.max - 100, numel: 864)).contains("exceed storage"))
    #expect(weightsError(archive(offset: -5, numel: 864)).contains("exceed storage"))
    #expect(weightsError(archive(offset: 0, numel: 864)).contains("exceed storage"))
  }
}
