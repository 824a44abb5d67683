import Classifier
import Foundation
import HeroCore
import InceptionKernels
import TestSupport
import Testing

/// Crafted model directories (issue 14): each is refused with one message naming the file and
/// the field, never used and never a crash. The tampering re-signs `weights.f32`, as whoever
/// crafts a model can: the SHA-1 in `model.json` protects against damage only.
@Suite("Hostile model directories")
struct HostileModelTests {
  /// A saved model (trained once per test), then `edit` applied to its `model.json` (as a JSON
  /// object) and `weights` to its weights; the SHA-1 is recomputed afterwards.
  static func crafted(
    json edit: (inout [String: Any]) -> Void = { _ in }, weights: (inout Data) -> Void = { _ in }
  ) throws -> TemporaryFolder {
    let folder = TemporaryFolder()
    try Self.model.save(to: folder.path)
    let jsonURL = URL(fileURLWithPath: folder.sub("model.json"))
    let weightsURL = URL(fileURLWithPath: folder.sub("weights.f32"))
    var blob = try Data(contentsOf: weightsURL)
    weights(&blob)
    try blob.write(to: weightsURL)
    var object = try #require(
      try JSONSerialization.jsonObject(with: Data(contentsOf: jsonURL)) as? [String: Any])
    var w = try #require(object["weights"] as? [String: Any])
    w["sha1"] = SHA1.hex(blob)
    object["weights"] = w
    edit(&object)
    try JSONSerialization.data(withJSONObject: object).write(to: jsonURL)
    return folder
  }

  static let model = ModelTests.trainedModel().0

  /// Byte offset of array `name` in weights.f32.
  static func offset(of name: String) -> Int {
    let n = InceptionConstants.bottleneckSize
    let c = model.labels.count
    let p = model.prototypes.labels.count
    let q = model.colourPrototypes.labels.count
    let k = ColourSignature.size
    let sizes: [(String, Int)] = [
      ("mean", n), ("scale", n), ("weights", n * c), ("bias", c), ("prototype_mean", n),
      ("prototypes", p * n), ("prototype_labels", p), ("colour_prototype_mean", k),
      ("colour_prototypes", q * k), ("colour_prototype_labels", q),
    ]
    var at = 0
    for (key, count) in sizes {
      if key == name { return 4 * at }
      at += count
    }
    return 4 * at
  }

  static func put(_ value: Float, at offset: Int, in data: inout Data) {
    withUnsafeBytes(of: value.bitPattern.littleEndian) {
      data.replaceSubrange(offset..<(offset + 4), with: $0)
    }
  }

  /// Loads the folder and returns the error's text; records an issue when it loads.
  static func refusal(_ folder: TemporaryFolder) -> String {
    do {
      _ = try HeroModel.load(from: folder.path)
      Issue.record("a crafted model was accepted")
      return ""
    } catch {
      let text = "\(error)"
      #expect(!text.contains("\n"), "one line")
      #expect(text.contains(folder.path), "names the file")
      return text
    }
  }

  static func layout(_ change: @escaping (inout [String: Any]) -> Void)
    -> (inout [String: Any]) -> Void
  {
    { object in
      var info = object["trained_with"] as? [String: Any] ?? [:]
      var layout = info["layout"] as? [String: Any] ?? [:]
      change(&layout)
      info["layout"] = layout
      object["trained_with"] = info
    }
  }

  @Test("the untouched model loads (the tampering helper itself breaks nothing)")
  func untouched() throws {
    let folder = try Self.crafted()
    let loaded = try HeroModel.load(from: folder.path)
    #expect(loaded.labels == Self.model.labels)
  }

  @Test("a prototype label of +inf, NaN, 1.5 or 7 with a matching SHA-1 is refused")
  func badPrototypeLabels() throws {
    for (value, words) in [
      (Float.infinity, "not finite"), (Float.nan, "not finite"), (1.5, "not a class index"),
      (7, "not a class index"), (-1, "not a class index"),
    ] {
      let folder = try Self.crafted(weights: {
        Self.put(value, at: Self.offset(of: "prototype_labels"), in: &$0)
      })
      let text = Self.refusal(folder)
      #expect(text.contains(words), "\(value): \(text)")
    }
  }

  @Test("a NaN among the weights is refused, naming the array")
  func nanWeight() throws {
    let folder = try Self.crafted(weights: {
      Self.put(.nan, at: Self.offset(of: "bias"), in: &$0)
    })
    #expect(Self.refusal(folder).contains("bias"))
  }

  @Test("input_size other than 2048 is refused")
  func inputSize() throws {
    let folder = try Self.crafted(json: { $0["input_size"] = 64 })
    #expect(Self.refusal(folder).contains("input_size is 64"))
  }

  @Test("a weights file outside the folder is refused before it is opened")
  func weightsPath() throws {
    for name in ["../weights.f32", "/etc/passwd", "..", "", "a/b"] {
      let folder = try Self.crafted(json: {
        var w = $0["weights"] as? [String: Any] ?? [:]
        w["file"] = name
        $0["weights"] = w
      })
      #expect(Self.refusal(folder).contains("plain file name"), "\(name)")
    }
  }

  @Test("a stored layout identify cannot use is refused: 1920x1080, cx 1e10, cx Int.max")
  func storedLayout() throws {
    let cases: [(String, (inout [String: Any]) -> Void)] = [
      ("frame is 1920x1080", Self.layout { $0["frame"] = ["width": 1920, "height": 1080] }),
      (
        "lies outside",
        Self.layout { l in
          var skills = l["skills"] as? [String: Any] ?? [:]
          skills["skill2"] = ["cx": 10_000_000_000, "cy": 499, "r": 42]
          l["skills"] = skills
        }
      ),
      (
        "attack has radius",
        Self.layout { l in l["attack"] = ["cx": Int.max, "cy": Int.max, "r": Int.max] }
      ),
      (
        "attack (cx 9223372036854775807",
        Self.layout { l in l["attack"] = ["cx": Int.max, "cy": 586, "r": 62] }
      ),
      ("crop size", Self.layout { l in l["crop"] = ["slot": "skill2", "size": Int.max] }),
    ]
    for (words, edit) in cases {
      let text = Self.refusal(try Self.crafted(json: edit))
      #expect(text.contains("trained_with.layout") && text.contains(words), "\(text)")
    }
  }

  @Test("stored slots that are not distinct skill slots of the layout are refused")
  func storedSlots() throws {
    for slots in [
      [], ["skill9"], ["skill1", "skill1"], ["../x"], Array(repeating: "skill2", count: 40),
    ] {
      let text = Self.refusal(
        try Self.crafted(json: { object in
          var info = object["trained_with"] as? [String: Any] ?? [:]
          info["slots"] = slots
          object["trained_with"] = info
        }))
      #expect(text.contains("trained_with.slots"), "\(slots): \(text)")
    }
    // Three real slots load, and identify reads all three.
    let folder = try Self.crafted(json: { object in
      var info = object["trained_with"] as? [String: Any] ?? [:]
      info["slots"] = ["skill1", "skill2", "skill3"]
      object["trained_with"] = info
    })
    #expect(try HeroModel.load(from: folder.path).info.cropSlots == ["skill1", "skill2", "skill3"])
  }

  @Test("icons_per_class out of range, or not matching the layer's width, is refused")
  func iconsPerClass() throws {
    for (value, words) in [(0, "icons_per_class"), (99, "icons_per_class"), (3, "has shape")] {
      let text = Self.refusal(try Self.crafted(json: { $0["icons_per_class"] = value }))
      #expect(text.contains(words), "\(value): \(text)")
    }
  }

  @Test("shapes that overflow or disagree with the file size are refused without allocating")
  func shapes() throws {
    func arrays(_ change: @escaping ([[String: Any]]) -> [[String: Any]])
      -> (inout [String: Any]) -> Void
    {
      { object in
        var w = object["weights"] as? [String: Any] ?? [:]
        w["arrays"] = change(w["arrays"] as? [[String: Any]] ?? [])
        object["weights"] = w
      }
    }
    let huge = 1 << 62
    let resized: (String, Int) -> (inout [String: Any]) -> Void = { name, rows in
      arrays { list in
        list.map { entry in
          var e = entry
          if let shape = e["shape"] as? [Int], (e["name"] as? String) == name {
            e["shape"] = [rows] + shape.dropFirst()
          }
          if let shape = e["shape"] as? [Int], (e["name"] as? String) == "prototypes",
            name == "prototype_labels"
          {
            e["shape"] = [rows] + shape.dropFirst()
          }
          return e
        }
      }
    }
    #expect(
      Self.refusal(try Self.crafted(json: resized("prototype_labels", huge))).contains("length"))
    #expect(
      Self.refusal(try Self.crafted(json: resized("prototype_labels", 1 << 20))).contains(
        "too large"))
    // One row more than the file holds: the size check names both numbers.
    let more = Self.model.prototypes.labels.count + 1
    #expect(
      Self.refusal(try Self.crafted(json: resized("prototype_labels", more))).contains("need"))
    // An array listed twice, or one missing.
    let twice = arrays { $0 + [$0[0]] }
    #expect(Self.refusal(try Self.crafted(json: twice)).contains("weights.arrays"))
    let missing = arrays { Array($0.dropLast()) }
    #expect(Self.refusal(try Self.crafted(json: missing)).contains("weights.arrays"))
    // Truncated weights with a matching hash.
    let short = try Self.crafted(weights: { $0 = $0.dropLast(4) })
    #expect(Self.refusal(short).contains("bytes"))
  }

  @Test("labels that cannot be hero names, repeated labels or one label are refused")
  func labels() throws {
    for (labels, words) in [
      (["a", "../x", "b"], "plain folder name"), (["a", "a", "b"], "repeats"),
      (["a", "", "b"], "empty"), (["a", "b\u{7}", "c"], "control"), (["a"], "1 labels"),
    ] {
      let folder = try Self.crafted(json: { $0["labels"] = labels })
      #expect(Self.refusal(folder).contains(words), "\(labels)")
    }
  }

  @Test("a weights file that is a folder or a huge model.json is refused")
  func oddFiles() throws {
    let folder = try Self.crafted()
    try FileManager.default.removeItem(atPath: folder.sub("weights.f32"))
    try FileManager.default.createDirectory(
      atPath: folder.sub("weights.f32"), withIntermediateDirectories: false)
    #expect(Self.refusal(folder).contains("not a regular file"))
  }

  @Test("decode(json:weights:) refuses random bytes with a ModelError")
  func randomBytes() {
    var rng = SeededGenerator(seed: 14)
    for _ in 0..<200 {
      let json = Data(
        (0..<Int.random(in: 0..<200, using: &rng)).map { _ in
          UInt8.random(in: 0...255, using: &rng)
        })
      #expect(throws: ModelError.self) {
        try HeroModel.decode(json: json, weights: Data(), jsonPath: "m.json", weightsPath: "w")
      }
    }
  }

  @Test("saving replaces a model directory as a whole and leaves nothing beside it")
  func atomicReplace() throws {
    let parent = TemporaryFolder()
    let dir = parent.sub("model")
    try Self.model.save(to: dir)
    var other = Self.model
    other.labels = ["x", "y", "z"]
    try other.save(to: dir)
    #expect(try HeroModel.load(from: dir).labels == ["x", "y", "z"])
    #expect(try FileManager.default.contentsOfDirectory(atPath: parent.path) == ["model"])
    // A crash mid-save leaves a hidden staging folder; the model in place still loads, and
    // the next save works and removes it; a live process's staging folder (a concurrent save)
    // stays.
    let gone = Process()
    gone.executableURL = URL(fileURLWithPath: "/bin/true")
    try gone.run()
    gone.waitUntilExit()
    let crashed = parent.sub(".model.saving-\(gone.processIdentifier)-crashed")
    let live = parent.sub(".model.saving-\(getpid())-live")
    for staging in [crashed, live] {
      try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: false)
      try Data("{".utf8).write(to: URL(fileURLWithPath: staging + "/model.json"))
    }
    #expect(try HeroModel.load(from: dir).labels == ["x", "y", "z"])
    try Self.model.save(to: dir)
    #expect(try HeroModel.load(from: dir).labels == Self.model.labels)
    #expect(!FileManager.default.fileExists(atPath: crashed))
    #expect(FileManager.default.fileExists(atPath: live))
  }

  @Test("a folder holding other files is not replaced by a model")
  func foreignFolder() throws {
    let folder = TemporaryFolder()
    try Data("keep".utf8).write(to: URL(fileURLWithPath: folder.sub("notes.txt")))
    #expect { try Self.model.save(to: folder.path) } throws: {
      "\($0)".contains("notes.txt") && "\($0)".contains("not part of a model")
    }
    #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["notes.txt"])
  }
}
