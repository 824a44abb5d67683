import Foundation
import FrameExtractor
import HeroCore
import Preprocess
import SampleMaker
import Testing

/// Real-footage variations (SampleMaker's `FootageStyle.catalogue`): the active picture and the
/// HUD found within a few pixels of the truth the renderer knows.
@Suite struct FootageGeometryTests {
  /// The truth of a rendered style in the coordinates of its picture scaled to 720 lines.
  struct Truth {
    var picture: (x: Double, y: Double, width: Double, height: Double)
    var buttons: [PlacedButton]
    var scale: Double
  }

  static func truth(_ spec: ClipSpec) -> Truth? {
    guard let style = spec.style else { return nil }
    let g = FootageGeometry(style: style, look: spec.look, width: spec.width, height: spec.height)
    let k = 720 / g.picture.height
    let buttons = g.buttons.map {
      PlacedButton(
        name: $0.name, cx: ($0.cx - g.picture.x) * k, cy: ($0.cy - g.picture.y) * k, r: $0.r * k)
    }
    return Truth(picture: g.picture, buttons: buttons, scale: style.hudScale)
  }

  /// Gameplay frame indices of `spec` a second apart (as key frames would be).
  static func gameplayFrames(_ spec: ClipSpec, count: Int) -> [Int] {
    stride(from: 0, to: spec.frameCount, by: spec.fps).filter { spec.screen(at: $0) == .gameplay }
      .prefix(count).map { $0 }
  }

  /// Every catalogue style, rendered (not encoded): the picture found over the first frames
  /// within 2 px, then the buttons found on gameplay frames within 4 px and the scale within 0.03.
  @Test(arguments: FootageStyle.catalogue.indices)
  func pictureAndButtonsAreFound(_ index: Int) throws {
    let item = FootageStyle.catalogue[index]
    let hero = Heroes.training[index % Heroes.training.count]
    let spec = ClipSpec(
      seed: 900 + UInt64(index), hero: hero, width: item.size.0, height: item.size.1,
      duration: 12, style: item.style)
    let truth = try #require(Self.truth(spec))
    let renderer = ClipRenderer(spec: spec)
    let probeFrames = stride(from: 0, to: spec.frameCount, by: spec.fps).prefix(8)
    let probes = probeFrames.map { GreyProbe(renderer.frame(at: $0)) }
    let found = ActivePicture.detect(probes)
    let p = found.picture
    #expect(abs(Double(p.x) - truth.picture.x) <= 2, "\(item.style.name): picture \(p)")
    #expect(abs(Double(p.y) - truth.picture.y) <= 2, "\(item.style.name): picture \(p)")
    #expect(abs(Double(p.width) - truth.picture.width) <= 3, "\(item.style.name): picture \(p)")
    #expect(abs(Double(p.height) - truth.picture.height) <= 3, "\(item.style.name): picture \(p)")
    #expect(found.inLayout == (item.style.upload == .stream))

    let locator = HUDLocator(layout: .default)
    let out = ActivePicture.outputSize(for: p, lines: 720)
    for i in Self.gameplayFrames(spec, count: 3) {
      let frame = renderer.frame(at: i)
      let picture = Resample.region(
        frame, x: Double(p.x), y: Double(p.y), width: Double(p.width), height: Double(p.height),
        outWidth: out.width, outHeight: out.height)
      let match = locator.search(picture)
      // Compare in the output frame's coordinates (its width may differ from the exact aspect
      // by the rounding to 16).
      let kx = Double(out.width) / (Double(p.width) * 720 / Double(p.height))
      let placed = LayoutProfile.default.buttons(at: match.geometry)
      for (b, t) in zip(placed, truth.buttons) {
        let ex = abs(b.cx - t.cx * kx)
        let ey = abs(b.cy - t.cy)
        #expect(
          ex <= 4 && ey <= 4,
          "\(item.style.name) frame \(i): \(b.name) at \(b.cx), \(b.cy), truth \(t.cx * kx), \(t.cy)"
        )
      }
      #expect(
        abs(match.geometry.scale - truth.scale) <= 0.03,
        "\(item.style.name): scale \(match.geometry.scale), truth \(truth.scale)")
      #expect(match.score >= 0.75, "\(item.style.name): score \(match.buttonScores)")
    }
  }

  /// The standard 16:9 render: the picture is the whole frame and the HUD is the default layout
  /// at the clip's small offset.
  @Test func standardClipsKeepTheDefaultGeometry() throws {
    let spec = ClipSpec(seed: 77, hero: Heroes.training[0], width: 1280, height: 720, duration: 12)
    let renderer = ClipRenderer(spec: spec)
    let probes = stride(from: 0, to: spec.frameCount, by: spec.fps).prefix(8).map {
      GreyProbe(renderer.frame(at: $0))
    }
    #expect(ActivePicture.detect(probes).picture == PixelRect(x: 0, y: 0, width: 1280, height: 720))
    let i = try #require(Self.gameplayFrames(spec, count: 1).first)
    let m = HUDLocator(layout: .default).search(renderer.frame(at: i))
    #expect(abs(m.geometry.scale - 1) <= 0.02)
    #expect(abs(m.geometry.dx - Double(spec.look.hudDX)) <= 2)
    #expect(abs(m.geometry.dy - Double(spec.look.hudDY)) <= 2)
  }

  /// Frames without the HUD (loading, shop) give a low score: nothing to lock on.
  @Test func menusHaveNoConstellation() throws {
    let spec = ClipSpec(seed: 78, hero: Heroes.training[1], width: 1280, height: 720, duration: 12)
    let renderer = ClipRenderer(spec: spec)
    let locator = HUDLocator(layout: .default)
    let menus = stride(from: 0, to: spec.frameCount, by: 15).filter {
      spec.screen(at: $0) == .loading || spec.screen(at: $0) == .shop
    }
    #expect(!menus.isEmpty)
    for i in menus.prefix(4) {
      let m = locator.search(renderer.frame(at: i))
      #expect(m.score < 0.6, "frame \(i) (\(spec.screen(at: i))): \(m.buttonScores)")
    }
  }

  /// Crops at a geometry: the identity geometry gives exactly the old skill-2 crop; on a HUD
  /// 1.25 times the default, moved and with swapped slots, each slot's crop (found geometry,
  /// resampled to 104 px) shows the icon of the hero skill that slot holds.
  @Test func cropsFollowTheFoundButtons() throws {
    let plain = ClipSpec(seed: 79, hero: Heroes.training[2], duration: 12)
    let i0 = try #require(Self.gameplayFrames(plain, count: 1).first)
    let frame0 = ClipRenderer(spec: plain).frame(at: i0)
    let identity = HUDGeometry(frameWidth: 1280, frameHeight: 720)
    #expect(
      try Crop.skill(frame: frame0, layout: .default, geometry: identity, slot: "skill2")
        == Crop.skill(frame: frame0, layout: .default))

    let item = try #require(
      FootageStyle.catalogue.first { $0.style.name == "16x9-hud1.25-moved-swapped" })
    let hero = Heroes.training[5]
    let spec = ClipSpec(
      seed: 81, hero: hero, width: item.size.0, height: item.size.1, duration: 40,
      style: item.style)
    let renderer = ClipRenderer(spec: spec)
    // A gameplay frame with every skill ready and not glowing.
    let ready = (0..<spec.frameCount).filter { i in
      spec.screen(at: i) == .gameplay
        && (1...3).allSatisfy {
          renderer.cooldown(slot: $0, at: i) == nil && !renderer.isGlowing(slot: $0, at: i)
        }
    }
    let i = try #require(ready.first)
    let frame = renderer.frame(at: i)
    let g = HUDLocator(layout: .default).search(frame).geometry
    let icons = (1...3).map { renderSkillIcon(hero: hero, slot: $0, size: 104) }
    for (k, slot) in ["skill1", "skill2", "skill3"].enumerated() {
      let crop = try Crop.skill(frame: frame, layout: .default, geometry: g, slot: slot)
      #expect(crop.width == 104 && crop.height == 104)
      let d = icons.map { SampleFrames.discDifference(crop, $0, radius: 26) }
      let shown = item.style.slots[k]
      let others = d.indices.filter { $0 != shown }.map { d[$0] }
      #expect(
        d[shown] * 1.5 < (others.min() ?? 0),
        "\(slot) should show skill \(shown + 1): differences \(d)")
    }
  }

  /// The layout's placement: identity on its own frame is the layout itself (the default crop
  /// stays x 980..1083, y 447..550), and a wider frame moves the buttons with the corner.
  @Test func placementIsAnchoredToTheCorner() {
    let d = LayoutProfile.default
    let same = d.placed(at: HUDGeometry(frameWidth: 1280, frameHeight: 720))
    #expect(same == d)
    #expect(same.cropRect == PixelRect(x: 980, y: 447, width: 104, height: 104))
    let wide = d.placed(at: HUDGeometry(frameWidth: 1560, frameHeight: 720))
    #expect(wide.skills["skill2"] == LayoutProfile.Slot(cx: 1312, cy: 499, r: 42))
    let big = d.buttons(at: HUDGeometry(frameWidth: 1280, frameHeight: 720, scale: 1.25, dx: -10))
    let attackX: Double = 1280 - 10 + 1.25 * (1144 - 1280)
    #expect(big[3].cx == attackX)
    #expect(big[3].r == 77.5)
  }
}

/// The committed footage clips (`samples/footage/`, H.264 at low bitrates), decoded in
/// active-picture mode and sorted at the HUD the tracker finds.
@Suite(
  .enabled(if: SampleFrames.hasFootageClips, "needs the committed clips under samples/footage/"))
struct FootageClipTests {
  @Test func eachVariationIsFoundAndSorted() throws {
    var report: [String] = []
    for (path, side) in SampleFrames.footageClips() {
      let truth = try #require(side.footage, "\(path): no footage truth in the sidecar")
      let decoder = try KeyFrameDecoder(path: path, options: ExtractOptions(activePicture: true))
      var screens = VideoScreens(layout: .default)
      var gameplayTruth = 0
      var gameplayFound = 0
      var wrongGameplay = 0
      var worst = 0.0
      var sortSeconds = 0.0
      var lastFrame: RGBImage?
      let clipStart = Date()
      while let f = try decoder.nextFrame() {
        let t0 = Date()
        let result = try screens.sort(f.image)
        sortSeconds += Date().timeIntervalSince(t0)
        lastFrame = f.image
        let isGameplay = side.screen(at: f.ptsSeconds) == .gameplay
        if isGameplay { gameplayTruth += 1 }
        guard result.decision.screen == .gameplay else { continue }
        guard isGameplay else {
          wrongGameplay += 1
          continue
        }
        gameplayFound += 1
        // The buttons where the sidecar says, in the output frame's pixels.
        let picture = try #require(decoder.picture)
        let sx = Double(picture.outputWidth) / truth.picture[2]
        let sy = Double(picture.outputHeight) / truth.picture[3]
        let g = try #require(result.geometry)
        for b in LayoutProfile.default.buttons(at: g) {
          let t = try #require(truth.buttons[b.name])
          let e = max(
            abs(b.cx - (t[0] - truth.picture[0]) * sx), abs(b.cy - (t[1] - truth.picture[1]) * sy))
          worst = max(worst, e)
        }
      }
      let clipSeconds = Date().timeIntervalSince(clipStart)
      var searchSeconds = 0.0
      if let lastFrame {
        let t0 = Date()
        _ = screens.tracker.locator.search(lastFrame)
        searchSeconds = Date().timeIntervalSince(t0)
      }
      let picture = try #require(decoder.picture)
      let box = picture.box
      let pictureError =
        [
          abs(Double(box.x) - truth.picture[0]), abs(Double(box.y) - truth.picture[1]),
          abs(Double(box.width) - truth.picture[2]), abs(Double(box.height) - truth.picture[3]),
        ].max() ?? 0
      report.append(
        "\(truth.style): picture \(box) (error \(pictureError) px), gameplay \(gameplayFound)/"
          + "\(gameplayTruth), wrong \(wrongGameplay), worst button error "
          + String(format: "%.1f px", worst) + ", searches \(screens.tracker.searches)"
          + String(
            format: " (%.0f ms each), sorting %.0f ms of %.0f ms", searchSeconds * 1000,
            sortSeconds * 1000, clipSeconds * 1000))
      #expect(pictureError <= 4, "\(path): \(report.last ?? "")")
      #expect(wrongGameplay == 0, "\(path): \(report.last ?? "")")
      #expect(gameplayFound * 10 >= gameplayTruth * 8, "\(path): \(report.last ?? "")")
      #expect(worst <= 5, "\(path): \(report.last ?? "")")
      #expect(screens.tracker.geometry != nil, "\(path): no geometry locked")
    }
    print(report.joined(separator: "\n"))
  }
}

/// The committed standard clips (16:9, default HUD) through the footage path: the picture is
/// the whole frame, the tracker locks at the default place (found by its cheap check; at most
/// four full searches, on the menus before the first gameplay frame, none on loading screens),
/// and every key frame is
/// sorted as the plain sorter sorts it.
@Suite(.enabled(if: SampleFrames.hasCommittedClips, "needs the committed clips under samples/"))
struct StandardClipsThroughTheTracker {
  @Test func sameScreensNoSearch() throws {
    let sorter = try ScreenSorter(layout: .default)
    let clips = SampleFrames.committedClips().filter { $0.path.contains("/test/") }
    #expect(clips.count == 21)
    var searches: [String] = []
    var total = 0
    defer { print("searches per clip: " + searches.joined(separator: ", ")) }
    for (path, side) in clips {
      let decoder = try KeyFrameDecoder(path: path, options: ExtractOptions(activePicture: true))
      let plain = try SampleFrames.labelledKeyFrames(path, sidecar: side)
      var screens = VideoScreens(layout: .default)
      var k = 0
      var differ = 0
      while let f = try decoder.nextFrame() {
        #expect(f.image.width == 1280 && f.image.height == 720)
        let got = try screens.sort(f.image)
        if k < plain.count, got.decision.screen != sorter.sort(plain[k].image).screen {
          differ += 1
        }
        k += 1
      }
      #expect(k == plain.count)
      #expect(differ == 0, "\(path): \(differ) key frames sorted differently")
      _ = side
      if side.hero != nil {
        #expect(screens.tracker.geometry != nil, "\(path): no lock")
        let g = try #require(screens.tracker.geometry)
        #expect(g.scale == 1 && abs(g.dx) <= 6 && abs(g.dy) <= 6, "\(path): locked at \(g)")
      }
      // Full searches run only on the frames before the lock (loading screens at the start).
      #expect(screens.tracker.searches <= 4, "\(path): \(screens.tracker.searches) searches")
      searches.append("\((path as NSString).lastPathComponent): \(screens.tracker.searches)")
      total += screens.tracker.searches
    }
    // Loading screens (sorted so at the default place) are not searched: measured 12 searches
    // over the 21 clips, against 46 without that gate (docs/footage.md, the search budget).
    #expect(total <= 21, "\(total) full searches over the 21 standard clips")
  }
}
