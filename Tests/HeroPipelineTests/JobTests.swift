import Classifier
import Foundation
import HeroCore
import HeroPipeline
import HeroReport
import InceptionKernels
import Labeler
import Preprocess
import TestSupport
import Testing

/// The committed samples (`samples/` at the top of the checkout).
let samples = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
  .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("samples")

/// The weights, for the tests that run the network.
let hasInception = FileManager.default.fileExists(atPath: HeroIDHome.inceptionPath(override: nil))

/// Records what a job reports.
final class RecordingObserver: JobObserver, @unchecked Sendable {
  private let lock = NSLock()
  private(set) var notes: [String] = []
  private(set) var advances: [String: Int] = [:]
  private(set) var totals: [String: Int?] = [:]

  func begin(_ stage: String, total: Int?) { locked { totals[stage] = total } }
  func advance(_ stage: String, by count: Int, note: String) {
    locked { advances[stage, default: 0] += count }
  }
  func finish(_ stage: String) {}
  func note(_ line: String) { locked { notes.append(line) } }
  private func locked(_ body: () -> Void) {
    lock.lock()
    body()
    lock.unlock()
  }
}

@Suite struct ThreadPolicyTests {
  @Test func oneLevelOfParallelismAtATime() {
    #expect(
      ThreadPolicy.forRun(jobs: 2, items: 10, cores: 2)
        == ThreadPolicy(tasks: 2, decoderThreads: 1, blasThreads: 1))
    #expect(
      ThreadPolicy.forRun(jobs: 4, items: 10, cores: 16)
        == ThreadPolicy(tasks: 4, decoderThreads: 4, blasThreads: 1))
    // One item (or --jobs 1): the cores go to that item's decoder and BLAS.
    #expect(
      ThreadPolicy.forRun(jobs: 2, items: 1, cores: 8)
        == ThreadPolicy(tasks: 1, decoderThreads: 0, blasThreads: 8))
    #expect(
      ThreadPolicy.forRun(jobs: 1, items: 50, cores: 2)
        == ThreadPolicy(tasks: 1, decoderThreads: 0, blasThreads: 2))
    #expect(ThreadPolicy.forRun(jobs: 3, items: 0, cores: 2).tasks == 1)
  }
}

@Suite struct ResultJSONTests {
  @Test func identifyAnswerIsTheContractsObjectInOrder() {
    let answer = IdentifyResult(
      hero: nil, confidence: 0.98765, reason: "familiarity 1.2 below 1.8", frames: 3,
      gameplayFrames: 1, top: [.init(hero: "李白", p: 0.98765)],
      timeline: [
        .init(t: 0, screen: .loading, hero: nil, p: nil),
        .init(t: 1.0004, screen: .gameplay, hero: "李白", p: 0.9),
      ], evidence: nil)
    #expect(
      answer.json(video: "a.mp4").text
        == #"{"video": "a.mp4", "hero": null, "confidence": 0.9877, "reason": "familiarity 1.2 below 1.8", "frames": 3, "gameplay_frames": 1, "top": [{"hero": "李白", "p": 0.9877}], "timeline": [{"t": 0.0, "screen": "loading", "hero": null, "p": null}, {"t": 1.0, "screen": "gameplay", "hero": "李白", "p": 0.9}], "segments": []}"#
    )
    // The contract's keys in order, then the segments (issue 27), each in its own order.
    var two = answer
    two.segments = [
      .init(start: 1, end: 1.00049, hero: "李白", confidence: 1, frames: 1),
      .init(start: 2, end: 3, hero: nil, confidence: 0.5, frames: 2),
    ]
    #expect(
      two.json(video: "a.mp4").text.hasSuffix(
        #""segments": [{"start": 1.0, "end": 1.0, "hero": "李白", "confidence": 1.0, "frames": 1}, {"start": 2.0, "end": 3.0, "hero": null, "confidence": 0.5, "frames": 2}]}"#
      ), "\(two.json(video: "a.mp4").text)")
  }

  /// `batch identify`'s `segments` column: empty for one segment, else each hero and span.
  @Test func segmentsColumnOfTheReport() {
    let one = [IdentifyResult.Segment(start: 1, end: 9, hero: "李白", confidence: 1, frames: 5)]
    #expect(BatchIdentifyJob.segmentsColumn(one).isEmpty)
    #expect(BatchIdentifyJob.segmentsColumn([]).isEmpty)
    let two =
      one + [IdentifyResult.Segment(start: 12.25, end: 20, hero: nil, confidence: 1, frames: 4)]
    #expect(BatchIdentifyJob.segmentsColumn(two) == "李白 1.0-9.0; unknown 12.2-20.0")
  }

  @Test func identifyAnswerRoundTripsThroughTheJournalRecord() throws {
    var record = BatchRecord(.done, video: "v.mp4", hash: "h")
    record.identify = IdentifyResult(
      hero: "貂蝉", confidence: 0.5, reason: nil, frames: 2, gameplayFrames: 2,
      top: [.init(hero: "貂蝉", p: 0.5)],
      timeline: [.init(t: 2, screen: .gameplay, hero: "貂蝉", p: 0.5)],
      evidence: .init(pattern: 0.9, colour: 0.8, shape: 0.7, familiarity: 2.05))
    let back = try JSONDecoder().decode(BatchRecord.self, from: JSONEncoder().encode(record))
    #expect(back == record)
    // A journal line written before the timeline was kept still reads.
    let old =
      #"{"kind":"done","identify":{"confidence":0.5,"frames":2,"gameplayFrames":2,"top":[]}}"#
    let decoded = try JSONDecoder().decode(BatchRecord.self, from: Data(old.utf8))
    #expect(decoded.identify?.timeline == [] && decoded.identify?.hero == nil)
  }

  @Test func extractResultJSONHasTheContractsKeys() {
    var r = ExtractResult(video: "v.mp4")
    r.hero = "李白"
    r.frames = 4
    r.kept = 2
    r.screens = [.gameplay: 2, .loading: 2]
    r.crops = ["out/李白/李白_000001.jpg"]
    #expect(
      r.json.text
        == #"{"video": "v.mp4", "hero": "李白", "frames": 4, "kept": 2, "screens": {"gameplay": 2, "loading": 2, "shop": 0, "other": 0}, "crops": ["out/李白/李白_000001.jpg"]}"#
    )
    r.error = "v.mp4: no video stream"
    #expect(r.json.text == #"{"video": "v.mp4", "error": "v.mp4: no video stream"}"#)
  }
}

@Suite(.serialized) struct ExtractJobTests {
  let clip = samples.appendingPathComponent("train/李白/李白_1.mp4").path

  @Test func extractCommitsCropsIndexAndKeysAndARerunAddsNothing() async throws {
    let out = TemporaryFolder()
    var options = ExtractJob.Options()
    options.out = out.sub("crops")
    let observer = RecordingObserver()
    let first = try await ExtractJob(options: options).run(
      [clip], control: JobControl(observer: observer))
    let r = try #require(first.first)
    #expect(r.error == nil)
    #expect(r.hero == "李白")
    #expect(r.kept >= 20 && r.crops.count == r.kept)
    #expect(r.frames == r.screens.values.reduce(0, +))
    let rows = try CropIndex.read(root: options.out)
    #expect(rows.count == r.crops.count)
    #expect(Set(rows.map { options.out + "/" + $0.file }) == Set(r.crops))
    #expect(try CropIndex.readKeys(root: URL(fileURLWithPath: options.out)).count == rows.count)
    #expect(observer.advances["extract"] == 1)
    #expect(observer.notes.contains { $0.contains("hero 李白") })
    for c in r.crops.prefix(3) {
      let image = try JPEG.decode(fileAt: c)
      #expect(image.width == 104 && image.height == 104)
    }
    // No staging left behind.
    let staging = URL(fileURLWithPath: options.out).appendingPathComponent(".batch/staging")
    #expect(((try? FileManager.default.contentsOfDirectory(atPath: staging.path)) ?? []).isEmpty)

    // Again, and the same content under another name at once: nothing new.
    let copy = out.sub("renamed.mp4")
    try FileManager.default.copyItem(atPath: clip, toPath: copy)
    options.labels = LabelSource(hero: "李白")
    let again = try await ExtractJob(options: options).run([clip, copy], control: .silent)
    #expect(again.allSatisfy { $0.error == nil && $0.crops.isEmpty && $0.kept == r.kept })
    #expect(again.allSatisfy { $0.alreadyStored == r.kept })
    #expect(try CropIndex.read(root: options.out).count == rows.count)
  }

  @Test func aCancelledRunWritesNothingAndSaysSo() async throws {
    let out = TemporaryFolder()
    var options = ExtractJob.Options()
    options.out = out.sub("crops")
    let control = JobControl(observer: SilentObserver())
    control.cancellation.cancel()
    let results = try await ExtractJob(options: options).run([clip], control: control)
    #expect(results.first?.error?.hasSuffix("cancelled") == true)
    #expect(try CropIndex.read(root: options.out).isEmpty)
  }

  @Test func plainAndBatchExtractShareOneFolderWithoutDuplicates() async throws {
    let tree = TemporaryFolder()
    let heroDir = tree.sub("李白")
    try FileManager.default.createDirectory(atPath: heroDir, withIntermediateDirectories: true)
    try FileManager.default.copyItem(atPath: clip, toPath: heroDir + "/a.mp4")
    let out = TemporaryFolder()
    var plain = ExtractJob.Options()
    plain.out = out.path
    let first = try await ExtractJob(options: plain).run([heroDir + "/a.mp4"], control: .silent)
    let n = try #require(first.first?.crops.count)
    // The batch over the same video adds no crop: the keys say every frame is there.
    let batch = try await BatchExtractJob(options: .init(out: out.path)).run(
      tree: tree.path, control: .silent)
    #expect(batch.summary.ok == 1 && batch.summary.failed == 0)
    #expect(batch.summary.crops == 0)
    #expect(try CropIndex.read(root: out.path).count == n)
    // A second batch run settles nothing new.
    let again = try await BatchExtractJob(options: .init(out: out.path)).run(
      tree: tree.path, control: .silent)
    #expect(again.summary.alreadyDone == 1 && again.summary.ok == 0)
  }
}

@Suite(.serialized) struct TrainJobTests {
  /// A crop folder of `perHero` synthetic icons for each of three heroes (JPEG), with an
  /// index.csv saying which "video" each came from.
  func cropFolder(_ folder: TemporaryFolder, perHero: Int) throws -> String {
    let root = folder.sub("crops")
    var index = IndexRow.header
    for (k, hero) in ["李白", "貂蝉", "韩信"].enumerated() {
      let dir = root + "/" + hero
      try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
      for i in 0..<perHero {
        let icon = RGBImageFixture.icon(
          k, brightness: 0.6 + 0.4 * Double(i % 5) / 4, digit: i % 3 == 0, dx: i % 4 - 2,
          dy: (i / 4) % 3 - 1, twist: Double(i) * 0.05)
        let name = CropIndex.fileName(hero: hero, number: i + 1)
        try JPEG.encode(icon, quality: 95).write(to: URL(fileURLWithPath: dir + "/" + name))
        index +=
          IndexRow(
            file: hero + "/" + name, video: "\(hero)_\(i % 2).mp4", ptsSeconds: Double(i) * 2,
            screen: .gameplay, hero: hero
          ).csvLine
      }
    }
    try Data(index.utf8).write(to: URL(fileURLWithPath: root + "/index.csv"))
    return root
  }

  @Test(
    .enabled(if: hasInception, "needs the Inception weights (make setup)"))
  func trainsSavesAndReportsOnASmallFolder() async throws {
    let folder = TemporaryFolder()
    var options = TrainJob.Options()
    options.cropsDir = try cropFolder(folder, perHero: 24)
    options.model = folder.sub("model")
    options.training.steps = 300
    options.groupSeconds = 5
    // A damaged crop: named in a note, counted, and the rest trains.
    try Data("not a jpeg".utf8).write(
      to: URL(fileURLWithPath: options.cropsDir + "/韩信/韩信_000099.jpg"))
    let observer = RecordingObserver()
    let outcome = try await TrainJob(options: options).run(control: JobControl(observer: observer))
    #expect(outcome.classes == ["李白", "貂蝉", "韩信"])
    #expect(outcome.images.values.reduce(0, +) == 72)
    #expect(outcome.failedImages == 1)
    #expect(observer.notes.contains { $0.contains("韩信_000099.jpg") })
    #expect(observer.notes.contains { $0.hasPrefix("step ") })
    #expect(observer.totals["bottlenecks"] == 73)
    // 72 distinct icons and the damaged file (tried, not computed), none cached yet.
    #expect(outcome.bottlenecks == BottleneckUse(crops: 73, computed: 72, reused: 0, cached: 0))
    #expect(
      observer.notes.contains("train: bottlenecks reused: 0 of 73 (72 computed, 0 from the cache)"))
    // Three clearly different icons: the final layer separates them.
    #expect((outcome.validationAccuracy ?? 0) >= 0.9 || outcome.images["validation"] == 0)
    #expect(outcome.misclassified.allSatisfy { FileManager.default.fileExists(atPath: $0.path) })
    #expect(outcome.thresholds.minFamiliarity.isFinite)
    // The review sheet: each entry a crop of the folder whose label the model doubts.
    #expect(outcome.disputed.count <= 20)
    #expect(
      outcome.disputed.allSatisfy {
        $0.hero != $0.named && $0.pNamed > $0.pLabel
          && FileManager.default.fileExists(atPath: options.cropsDir + "/" + $0.file)
      })
    for file in ["model.json", "weights.f32", "labels.txt"] {
      #expect(FileManager.default.fileExists(atPath: options.model + "/" + file))
    }
    if case .object(let fields) = outcome.json {
      #expect(
        fields.map(\.key)
          == [
            "classes", "images", "validation_accuracy", "test_accuracy", "model", "disputed",
            "bottlenecks",
          ])
    } else {
      Issue.record("train JSON is not an object")
    }
    // The bottlenecks are cached: a second run computes none.
    let second = RecordingObserver()
    options.model = folder.sub("model2")
    _ = try await TrainJob(options: options).run(control: JobControl(observer: second))
    #expect(second.totals["bottlenecks"] == 1)  // only the damaged file is tried again
  }

  /// `train --precision` (issue 28): the model records the precision of its bottlenecks, each
  /// precision has its own cache entries, and `identify` runs the model's precision unless told
  /// otherwise (fp32 for a model from before the field).
  /// Cancels the job at its first training progress line.
  final class CancelAtFirstStep: JobObserver, @unchecked Sendable {
    let cancellation = Cancellation()
    private let lock = NSLock()
    private(set) var steps: [String] = []
    func begin(_ stage: String, total: Int?) {}
    func advance(_ stage: String, by count: Int, note: String) {}
    func finish(_ stage: String) {}
    func note(_ line: String) {
      guard line.hasPrefix("step ") else { return }
      lock.lock()
      steps.append(line)
      lock.unlock()
      cancellation.cancel()
    }
  }

  @Test(
    "a train cancelled while it trains stops at the next step and writes no model",
    .enabled(if: hasInception, "needs the Inception weights (make setup)"))
  func cancelledWhileTraining() async throws {
    let folder = TemporaryFolder()
    var options = TrainJob.Options()
    options.cropsDir = try cropFolder(folder, perHero: 8)
    options.model = folder.sub("model")
    // A line every 10 steps: run to the end, the 2000 steps would note 200.
    options.training.steps = 2000
    options.training.evalStepInterval = 10
    let observer = CancelAtFirstStep()
    await #expect(throws: CancelledError.self) {
      _ = try await TrainJob(options: options).run(
        control: JobControl(observer: observer, cancellation: observer.cancellation))
    }
    #expect(observer.steps.count == 1, "\(observer.steps)")
    #expect(!FileManager.default.fileExists(atPath: options.model + "/model.json"))
  }

  @Test(.enabled(if: hasInception, "needs the Inception weights (make setup)"))
  func theTrainingPrecisionIsRecordedCachedApartAndFollowed() async throws {
    let folder = TemporaryFolder()
    var options = TrainJob.Options()
    options.cropsDir = try cropFolder(folder, perHero: 8)
    options.training.steps = 50
    #expect(options.precision == .int8)  // the default
    var models: [Precision: String] = [:]
    var outcomes: [Precision: TrainJob.Outcome] = [:]
    for precision in [Precision.fp32, .int8] {
      options.precision = precision
      options.model = folder.sub("model-\(precision)")
      let outcome = try await TrainJob(options: options).run(control: .silent)
      // Each precision computes its own 24 bottlenecks: the other's are not taken from the cache.
      #expect(outcome.bottlenecks == BottleneckUse(crops: 24, computed: 24, reused: 0, cached: 0))
      let json = try String(contentsOfFile: options.model + "/model.json", encoding: .utf8)
      #expect(json.contains("\"precision\" : \"\(precision.rawValue)\""))
      #expect(try HeroModel.load(from: options.model).info.trainedPrecision == precision)
      models[precision] = options.model
      outcomes[precision] = outcome
    }
    // Again in int8: every bottleneck from the cache, and the same review sheet and threshold
    // (the review's folds train on other threads: the order of the work changes nothing).
    options.model = folder.sub("model-int8-again")
    let again = try await TrainJob(options: options).run(control: .silent)
    #expect(again.bottlenecks == BottleneckUse(crops: 24, computed: 0, reused: 0, cached: 24))
    #expect(again.disputed == outcomes[.int8]?.disputed)
    #expect(again.thresholds == outcomes[.int8]?.thresholds)
    // The int8 bottlenecks are not the fp32 ones: the thresholds fitted to them differ.
    #expect(outcomes[.fp32]?.thresholds != outcomes[.int8]?.thresholds)

    func identifyPrecision(_ model: String, _ flag: Precision?) throws -> Precision {
      var o = IdentifyJob.Options()
      o.model = model
      o.precision = flag
      return try IdentifyJob(options: o, clips: 1).precision
    }
    let int8Model = try #require(models[.int8])
    #expect(try identifyPrecision(int8Model, nil) == .int8)
    #expect(try identifyPrecision(int8Model, .fp32) == .fp32)
    #expect(try identifyPrecision(try #require(models[.fp32]), nil) == .fp32)
    // A model.json without the field (written before it existed): fp32.
    let old = folder.sub("model-old")
    try FileManager.default.copyItem(atPath: int8Model, toPath: old)
    let text = try String(contentsOfFile: old + "/model.json", encoding: .utf8)
    let stripped = text.replacingOccurrences(of: "\"precision\" : \"int8\",", with: "")
      .replacingOccurrences(of: ",\n    \"precision\" : \"int8\"", with: "")
    #expect(!stripped.contains("\"precision\""))
    try Data(stripped.utf8).write(to: URL(fileURLWithPath: old + "/model.json"))
    #expect(try HeroModel.load(from: old).info.precision == nil)
    #expect(try identifyPrecision(old, nil) == .fp32)
    // The report says which bottlenecks a model was fitted to.
    func report(_ model: String) throws -> String {
      var request = ReportRequest()
      request.model = model
      return try HTMLReport.render(request)
    }
    #expect(try report(int8Model).contains("2048 floats), int8 bottlenecks"))
    #expect(try report(old).contains("fp32 bottlenecks (not recorded: a model from before int8)"))
  }

  @Test func aFolderWithOneHeroIsRefusedBeforeAnyWork() async throws {
    let folder = TemporaryFolder()
    let root = folder.sub("crops/李白")
    try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    try JPEG.encode(RGBImageFixture.icon(0), quality: 95).write(
      to: URL(fileURLWithPath: root + "/a.jpg"))
    var options = TrainJob.Options()
    options.cropsDir = folder.sub("crops")
    options.inception = "/nonexistent/weights.pt"
    await #expect(throws: (any Error).self) {
      _ = try await TrainJob(options: options).run(control: .silent)
    }
  }
}
