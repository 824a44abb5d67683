import Classifier
import Foundation
import HeroCore
import InceptionKernels
import TestSupport
import Testing

@Suite("Training / validation / testing split")
struct SplitTests {
  @Test("a file name always gets the same set, and the fractions are near 80/10/10")
  func stableFractions() {
    var counts: [DataSet: Int] = [:]
    let n = 20_000
    for i in 0..<n {
      let key = DataSplit.fileKey("hero_\(i).jpg")
      let set = DataSplit.assign(key: key, validationPercentage: 10, testingPercentage: 10)
      #expect(set == DataSplit.assign(key: key, validationPercentage: 10, testingPercentage: 10))
      counts[set, default: 0] += 1
    }
    #expect(abs(Double(counts[.training, default: 0]) / Double(n) - 0.8) < 0.015)
    #expect(abs(Double(counts[.validation, default: 0]) / Double(n) - 0.1) < 0.01)
    #expect(abs(Double(counts[.testing, default: 0]) / Double(n) - 0.1) < 0.01)
  }

  @Test("pinned file names get the sets an independent SHA-1 (Python's hashlib) gives them")
  func pinnedPairs() {
    // percentage = first 8 bytes of SHA-1(key), big-endian, mod 10^8, / 10^6; computed in
    // Python for these keys. A per-process hash (hashValue) would scatter them.
    let pinned: [(String, Double, DataSet)] = [
      ("李白_000001.jpg", 46.05641, .training), ("李白_000002.jpg", 18.547876, .testing),
      ("貂蝉_000011.jpg", 36.890689, .training), ("hero_7.jpg", 2.054151, .validation),
      ("a.jpg", 9.370108, .validation), ("b_nohash_4.jpg", 6.108269, .validation),
      ("妲己_000105.jpg", 87.963018, .training),
    ]
    for (name, percentage, set) in pinned {
      let key = DataSplit.fileKey(name)
      #expect(abs(DataSplit.percentage(key) - percentage) < 1e-6, "\(name)")
      #expect(
        DataSplit.assign(key: key, validationPercentage: 10, testingPercentage: 10) == set,
        "\(name)")
    }
    #expect(
      DataSplit.assign(key: "v.mp4#2", validationPercentage: 10, testingPercentage: 10)
        == .training)
  }

  @Test("_nohash_ suffixes and extensions do not change the key; time buckets group crops")
  func keys() {
    #expect(DataSplit.fileKey("a_nohash_3.jpg") == DataSplit.fileKey("a_nohash_7.jpeg"))
    #expect(DataSplit.fileKey("a.jpg") != DataSplit.fileKey("b.jpg"))
    let k1 = DataSplit.videoKey(video: "/x/v.mp4", ptsSeconds: 10.1, groupSeconds: 5)
    let k2 = DataSplit.videoKey(video: "/y/v.mp4", ptsSeconds: 14.9, groupSeconds: 5)
    let k3 = DataSplit.videoKey(video: "/x/v.mp4", ptsSeconds: 15.0, groupSeconds: 5)
    #expect(k1 == k2)
    #expect(k1 != k3)
    #expect(DataSplit.videoKey(video: "v.mp4", ptsSeconds: 1, groupSeconds: 0) == nil)
  }

  func makeCrops(_ folder: TemporaryFolder, _ counts: [String: Int]) throws -> String {
    let root = folder.sub("crops")
    for (hero, n) in counts {
      let dir = (root as NSString).appendingPathComponent(hero)
      try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
      for i in 0..<n {
        try Data([0xFF, 0xD8]).write(
          to: URL(fileURLWithPath: (dir as NSString).appendingPathComponent("\(hero)_\(i).jpg")))
      }
    }
    return root
  }

  @Test("a hero with fewer than 3 crops is left out, named with its count; the rest relabelled")
  func thinHeroesLeftOut() throws {
    let folder = TemporaryFolder()
    let root = try makeCrops(folder, ["李白": 40, "貂蝉": 1, "妲己": 30, "韩信": 2])
    let all = try ImageCollection.scan(root)
    #expect(throws: TrainingDataError.self) { try all.checkSplit(validationPercentage: 10) }
    let (kept, leftOut) = all.leavingOutThin(minimumImages: 3)
    #expect(leftOut.map(\.name) == ["貂蝉", "韩信"])
    #expect(leftOut.map(\.count) == [1, 2])
    #expect(kept.classes == ["妲己", "李白"])
    #expect(kept.images.count == 70)
    #expect(
      kept.images.allSatisfy {
        kept.classes[$0.label]
          == ($0.path as NSString).deletingLastPathComponent.split(separator: "/").last.map(
            String.init)
      })
    _ = try kept.checkSplit(validationPercentage: 10)
    // Nothing thin: the same collection.
    let (same, none) = kept.leavingOutThin(minimumImages: 3)
    #expect(none.isEmpty && same.images == kept.images)
  }

  @Test("adding images never moves existing ones")
  func addingKeepsSets() throws {
    let folder = TemporaryFolder()
    let root = try makeCrops(folder, ["李白": 60, "貂蝉": 60])
    let before = try ImageCollection.scan(root)
    _ = try makeCrops(folder, ["李白": 200, "貂蝉": 90, "妲己": 40])
    let after = try ImageCollection.scan(root)
    let sets = Dictionary(uniqueKeysWithValues: after.images.map { ($0.path, $0.set) })
    for image in before.images { #expect(sets[image.path] == image.set) }
    #expect(after.classes == ["妲己", "李白", "貂蝉"].sorted())
    #expect(after.images.count == 330)
    #expect(after.count(.training) > after.count(.validation))
  }

  @Test("group keys from index.csv put a video's seconds in one set")
  func groupKeysUsed() throws {
    let folder = TemporaryFolder()
    let root = try makeCrops(folder, ["a": 30, "b": 30])
    var keys: [String: String] = [:]
    for hero in ["a", "b"] {
      for i in 0..<30 { keys["\(hero)/\(hero)_\(i).jpg"] = "\(hero).mp4#\(i / 10)" }
    }
    let c = try ImageCollection.scan(root, groupKeys: keys)
    for hero in 0..<2 {
      for bucket in 0..<3 {
        let sets = Set(
          c.images.filter { $0.label == hero }.enumerated().filter { _ in true }
            .compactMap { item -> DataSet? in
              let name = (item.element.path as NSString).lastPathComponent
              let index = Int(name.split(separator: "_")[1].split(separator: ".")[0]) ?? -1
              return index / 10 == bucket ? item.element.set : nil
            })
        #expect(sets.count == 1)
      }
    }
  }

  @Test("bad folders: missing, empty, one class, too few images")
  func badFolders() throws {
    let folder = TemporaryFolder()
    #expect(throws: TrainingDataError.notAFolder(path: folder.sub("nope"))) {
      try ImageCollection.scan(folder.sub("nope"))
    }
    let empty = folder.sub("empty")
    try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
    #expect(throws: TrainingDataError.noClasses(path: empty)) { try ImageCollection.scan(empty) }
    let other = TemporaryFolder()
    let one = try makeCrops(other, ["solo": 20])
    #expect(throws: TrainingDataError.oneClass(path: one, name: "solo")) {
      try ImageCollection.scan(one)
    }
    let few = try makeCrops(folder, ["a": 40, "b": 2])
    let c = try ImageCollection.scan(few)
    #expect(
      throws: TrainingDataError.tooFewImages(
        path: (few as NSString).appendingPathComponent("b"), count: 2, minimum: 3)
    ) { try c.checkSplit(validationPercentage: 10) }
    for e in [
      TrainingDataError.noClasses(path: "/p"), .oneClass(path: "/p", name: "x"),
      .tooFewImages(path: "/p/b", count: 2, minimum: 3),
    ] {
      #expect("\(e)".hasPrefix("/p"))
    }
  }

  @Test("one class per hero under NFC: NFD and compatibility-ideograph folders join it")
  func unicodeSpellingsAreOneClass() throws {
    let folder = TemporaryFolder()
    // Zoë precomposed and decomposed; 豈 as the CJK compatibility ideograph U+F900 and as the
    // unified U+8C48; 李白 alone.
    let nfd = "Zoe\u{0308}"
    let compat = "\u{F900}"
    // Swift's == treats canonically equivalent strings as equal: the folders differ in bytes.
    #expect(
      Array(nfd.utf8) != Array("Zo\u{EB}".utf8) && Array(compat.utf8) != Array("\u{8C48}".utf8))
    let root = folder.sub("crops")
    for (i, (hero, n)) in [("Zo\u{EB}", 3), (nfd, 2), ("\u{8C48}", 2), (compat, 2), ("李白", 4)]
      .enumerated()
    {
      let dir = (root as NSString).appendingPathComponent(hero)
      try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
      for j in 0..<n {
        try Data([0xFF, 0xD8]).write(
          to: URL(fileURLWithPath: (dir as NSString).appendingPathComponent("c\(i)_\(j).jpg")))
      }
    }
    #expect(try FileManager.default.contentsOfDirectory(atPath: root).count == 5)
    let c = try ImageCollection.scan(root)
    // Three classes, each named in NFC bytes.
    #expect(c.classes.count == 3)
    #expect(
      c.classes.map { Array($0.utf8) }
        == ["Zo\u{EB}", "\u{8C48}", "李白"].sorted().map { Array($0.utf8) })
    func count(_ hero: String) -> Int {
      c.images.filter { c.classes[$0.label] == hero }.count
    }
    #expect(count("Zo\u{EB}") == 5 && count("\u{8C48}") == 4 && count("李白") == 4)
    // Each image keeps its real path, in the folder of its own spelling.
    #expect(c.images.allSatisfy { FileManager.default.fileExists(atPath: $0.path) })
    #expect(
      c.images.contains {
        Array($0.path.utf8).count == Array(root.utf8).count + 1 + Array(nfd.utf8).count + 1 + 8
      })
    #expect(Set(c.spellings.keys) == ["Zo\u{EB}", "\u{8C48}"])
    #expect(c.spellings["Zo\u{EB}"]?.count == 2 && c.spellings["李白"] == nil)
  }

  @Test("a class of 3 or more groups has one in every set: fewest moves, order by hash kept")
  func coveringSplit() {
    var rng = SplitMix64(seed: 27)
    var moved = 0
    for trial in 0..<400 {
      let n = 1 + Int(rng.next() % 9)
      let keys = (0..<n).map { "v\(trial)-\(rng.next() % 1_000_000).mp4#\($0)" }
      for (v, t) in [(10.0, 10.0), (0, 20), (15, 0), (0, 0)] {
        let sets = DataSplit.assignCovering(
          keys: keys, validationPercentage: v, testingPercentage: t)
        let hash = keys.map {
          DataSplit.assign(key: $0, validationPercentage: v, testingPercentage: t)
        }
        var wanted: Set<DataSet> = [.training]
        if v > 0 { wanted.insert(.validation) }
        if t > 0 { wanted.insert(.testing) }
        let got = Set(keys.compactMap { sets[$0] })
        #expect(got.isSubset(of: wanted))
        if Set(hash) == wanted || Set(keys).count < wanted.count {
          #expect(keys.map { sets[$0] } == hash, "kept when it covers, or cannot")
        } else {
          #expect(got == wanted, "\(keys) \(v) \(t)")
          let changes = zip(keys, hash).filter { sets[$0.0] != $0.1 }.count
          #expect(changes >= 1 && changes <= 2)
          moved += changes
        }
        // Still ordered by percentage: validation below testing below training.
        let rank: [DataSet: Int] = [.validation: 0, .testing: 1, .training: 2]
        let byP = keys.sorted { DataSplit.percentage($0) < DataSplit.percentage($1) }
        let ranks = byP.map { rank[sets[$0]!]! }
        #expect(ranks == ranks.sorted())
      }
    }
    #expect(moved > 100, "the trials exercise the moves")
  }

  @Test("every hero with 3 groups gets training, validation and testing images; no warning")
  func everyHeroCovered() throws {
    let folder = TemporaryFolder()
    let heroes = ["a", "b", "c", "d", "e", "f", "g", "h"]
    let root = try makeCrops(folder, Dictionary(uniqueKeysWithValues: heroes.map { ($0, 12) }))
    var keys: [String: String] = [:]
    for hero in heroes {
      for i in 0..<12 { keys["\(hero)/\(hero)_\(i).jpg"] = "\(hero).mp4#\(i / 4)" }
    }
    let hashOnly = heroes.filter { hero in
      Set(
        (0..<3).map {
          DataSplit.assign(
            key: "\(hero).mp4#\($0)", validationPercentage: 10, testingPercentage: 10)
        }
      ).count < 3
    }
    #expect(!hashOnly.isEmpty, "the hash alone leaves some hero uncovered")
    let c = try ImageCollection.scan(root, groupKeys: keys)
    for label in c.classes.indices {
      for set in DataSet.allCases {
        #expect(c.count(set, label: label) == 4, "\(c.classes[label])")
      }
    }
    #expect(try c.checkSplit(validationPercentage: 10).isEmpty)
    // Two groups cannot cover three sets: the warning says why.
    var two = keys
    for i in 0..<12 { two["a/a_\(i).jpg"] = "a.mp4#\(i / 6)" }
    let warned = try ImageCollection.scan(root, groupKeys: two).checkSplit(validationPercentage: 10)
    #expect(!warned.isEmpty && warned.allSatisfy { $0.contains("in 2 groups") })
  }
}
