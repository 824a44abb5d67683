import Inception
import InceptionKernels
import Testing

/// Hand-made protocol-2 pickles.
@Suite struct PickleTests {
  /// `BINUNICODE` of an ASCII string.
  func text(_ s: String) -> [UInt8] {
    let b = Array(s.utf8)
    return [0x58, UInt8(b.count), 0, 0, 0] + b
  }

  @Test func dictOfIntsListsAndTuples() throws {
    // {'a': 5, 'b': [1, 300, -2], 'c': (True, None)}
    var p: [UInt8] = [0x80, 0x02, 0x7D, 0x71, 0x00, 0x28]
    p += text("a") + [0x4B, 5]
    p +=
      text("b") + [
        0x5D, 0x71, 0x01, 0x28, 0x4B, 1, 0x4D, 0x2C, 0x01, 0x4A, 0xFE, 0xFF, 0xFF, 0xFF, 0x65,
      ]
    p += text("c") + [0x88, 0x4E, 0x86]
    p += [0x75, 0x2E]
    let v = try Pickle.parse(p, file: "t.pkl")
    guard case .dict(let d) = v else {
      Issue.record("not a dict: \(v)")
      return
    }
    #expect(d["a"]?.int == 5)
    #expect(d["b"]?.items?.compactMap(\.int) == [1, 300, -2])
    #expect(d["c"]?.items?.first?.bool == true)
    #expect(d["c"]?.items?.count == 2)
  }

  @Test func memoSharesMutatedContainers() throws {
    // x = []; memo[0] = x; x.append(7); (x, memo[0])
    let p: [UInt8] = [0x80, 0x02, 0x5D, 0x71, 0x00, 0x4B, 7, 0x61, 0x68, 0x00, 0x86, 0x2E]
    let v = try Pickle.parse(p, file: "t.pkl")
    let items = try #require(v.items)
    #expect(items.count == 2)
    #expect(items[1].items?.compactMap(\.int) == [7])
  }

  @Test func globalsAreRecordedNotCalled() throws {
    // torch._utils._rebuild_tensor_v2(persid(('storage', torch.FloatStorage, '0', 'cpu', 4)), 0, (2, 2), (2, 1), False)
    var p: [UInt8] = [0x80, 0x02]
    p += [0x63] + Array("torch._utils\n_rebuild_tensor_v2\n".utf8)
    p += [0x28, 0x28] + text("storage") + [0x63] + Array("torch\nFloatStorage\n".utf8)
    p += text("0") + text("cpu") + [0x4B, 4, 0x74, 0x51]
    p += [0x4B, 0, 0x4B, 2, 0x4B, 2, 0x86, 0x4B, 2, 0x4B, 1, 0x86, 0x89, 0x74, 0x52, 0x2E]
    let v = try Pickle.parse(p, file: "t.pkl")
    let o = try #require(v.object)
    #expect(o.callableName == "torch._utils._rebuild_tensor_v2")
    #expect(o.arguments.count == 5)
    guard case .persistentID(let pid) = o.arguments[0] else {
      Issue.record("no persistent id")
      return
    }
    #expect(pid.items?[2].string == "0")
    #expect(pid.items?[4].int == 4)
    #expect(o.arguments[2].items?.compactMap(\.int) == [2, 2])
  }

  @Test func buildSetsTheStateOfNewObj() throws {
    // m.Cls.__new__(m.Cls) with state {'x': 1}
    var p: [UInt8] = [0x80, 0x02, 0x63] + Array("m\nCls\n".utf8) + [0x29, 0x81, 0x7D]
    p += text("x") + [0x4B, 1, 0x73, 0x62, 0x2E]
    let o = try #require(try Pickle.parse(p, file: "t.pkl").object)
    #expect(o.callableName == "m.Cls")
    guard case .dict(let d)? = o.state else {
      Issue.record("no state")
      return
    }
    #expect(d["x"]?.int == 1)
  }

  @Test func unknownOpcodeIsAnErrorNamingFileAndOffset() {
    let p: [UInt8] = [0x80, 0x02, 0x4B, 1, 0xFF, 0x2E]
    #expect(throws: PickleError(file: "bad.pkl", offset: 4, reason: "unknown opcode 0xff")) {
      try Pickle.parse(p, file: "bad.pkl")
    }
  }

  @Test func truncatedStreamsAreErrors() {
    var p: [UInt8] = [0x80, 0x02, 0x7D, 0x28] + text("abc") + [0x4B, 5, 0x75, 0x2E]
    // Cut at every length: never a crash, always a PickleError (or, whole, a value).
    for n in 0..<p.count {
      do {
        _ = try Pickle.parse(Array(p.prefix(n)), file: "cut.pkl")
        Issue.record("prefix \(n) parsed")
      } catch {
        #expect(error.description.hasPrefix("cut.pkl: pickle byte"))
      }
    }
    p[6] = 200  // BINUNICODE length past the end
    #expect(throws: PickleError.self) { try Pickle.parse(p, file: "len.pkl") }
  }

  @Test func malformedStructureIsAnError() {
    // memo miss, stack underflow, SETITEMS without a mark, APPEND to a non-list
    let cases: [[UInt8]] = [
      [0x80, 0x02, 0x68, 0x03, 0x2E],
      [0x80, 0x02, 0x86, 0x2E],
      [0x80, 0x02, 0x7D, 0x4B, 1, 0x4B, 2, 0x75, 0x2E],
      [0x80, 0x02, 0x4B, 1, 0x4B, 2, 0x61, 0x2E],
      [0x80, 0x02, 0x4B, 1, 0x29, 0x52, 0x2E],
    ]
    for p in cases {
      #expect(throws: PickleError.self, "\(p)") { try Pickle.parse(p, file: "m.pkl") }
    }
  }
}
