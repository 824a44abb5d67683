/// What a frame shows: only `gameplay` frames have visible skill buttons.
public enum Screen: String, Sendable, Codable, CaseIterable, Comparable {
  case gameplay, loading, shop, other

  public static func < (a: Screen, b: Screen) -> Bool {
    allCases.firstIndex(of: a) ?? 0 < allCases.firstIndex(of: b) ?? 0
  }
}
