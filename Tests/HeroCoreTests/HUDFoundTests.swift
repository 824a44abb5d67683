import Foundation
import HeroCore
import Testing

/// `HUDFound`: the geometry `locate`, `extract --footage`, `identify --footage` and the batch
/// reports print, and that journals keep.
@Suite struct HUDFoundTests {
  static let layout = LayoutProfile.default
  static let geometry = HUDGeometry(frameWidth: 1568, frameHeight: 720, scale: 1.1, dx: -12, dy: 6)
  static let found = HUDFound(
    source: [2400, 1080], picture: [0, 0, 2400, 1080], inLayout: false, frame: [1568, 720],
    geometry: geometry, buttons: layout.buttons(at: geometry), searches: 2, changes: 0)

  @Test func jsonFieldsFollowTheGeometry() throws {
    let text = JSONValue.object(Self.found.fields).text
    let object = try #require(
      try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    #expect(object["source"] as? [Int] == [2400, 1080])
    #expect(object["frame"] as? [Int] == [1568, 720])
    let hud = try #require(object["hud"] as? [String: Any])
    #expect(hud["scale"] as? Double == 1.1)
    #expect(hud["dx"] as? Double == -12)
    let buttons = try #require(hud["buttons"] as? [String: [Double]])
    #expect(Set(buttons.keys) == ["attack", "skill1", "skill2", "skill3"])
    // The buttons are the layout's, placed: anchored to the bottom-right corner, scaled.
    for b in Self.layout.buttons(at: Self.geometry) {
      let xyr = try #require(buttons[b.name])
      #expect(abs(xyr[0] - b.cx) <= 0.05 && abs(xyr[1] - b.cy) <= 0.05 && abs(xyr[2] - b.r) <= 0.05)
      #expect(xyr[0] > 1568 / 2 && xyr[1] > 720 / 2)
    }
    #expect(Self.found.human.contains("HUD scale 1.10, shift -12,+6 px"))
    var none = Self.found
    none.geometry = nil
    #expect(JSONValue.object(none.fields).text.contains("\"hud\": null"))
    #expect(none.human.hasSuffix("no HUD found"))
  }

  @Test func codableRoundTripAndShortArraysRefused() throws {
    let data = try JSONEncoder().encode(Self.found)
    #expect(try JSONDecoder().decode(HUDFound.self, from: data) == Self.found)
    // A journal from elsewhere with a picture of three numbers is refused, not trusted.
    var object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    object["picture"] = [0, 0, 10]
    let bad = try JSONSerialization.data(withJSONObject: object)
    #expect(throws: DecodingError.self) { try JSONDecoder().decode(HUDFound.self, from: bad) }
  }
}
