extension FramesJob {
  /// `--size WIDTHxHEIGHT` (an `x` or `X` between two whole numbers, each 1 to 16384), or nil.
  public static func frameSize(_ text: String) -> (width: Int, height: Int)? {
    let parts = text.lowercased().split(separator: "x", omittingEmptySubsequences: false)
    guard parts.count == 2, let w = Int(parts[0]), let h = Int(parts[1]) else { return nil }
    guard (1...16384).contains(w), (1...16384).contains(h) else { return nil }
    return (w, h)
  }
}
