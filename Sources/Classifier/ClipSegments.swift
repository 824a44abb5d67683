import Foundation

/// One stretch of a clip in which one hero is played (or none the model knows): a compilation
/// of several heroes has one per hero.
public struct ClipSegment: Sendable, Equatable {
  /// Time of the segment's first and last gameplay frame, seconds.
  public var start: Double
  public var end: Double
  /// The answer over the segment's frames (the clip vote and "unknown" test, as for a clip).
  public var verdict: ClipVerdict
}

extension ClipVerdict {
  /// Where the hero changes inside a clip, with hysteresis (issue 27).
  ///
  /// Each gameplay frame is labelled with its own best hero when its crop is familiar enough
  /// with that hero (``UnknownThresholds``), else "unknown"; a frame whose best hero is less
  /// than twice as probable as the next is uncertain and skipped. The current segment's label
  /// only changes when `switchAfter` certain gameplay frames in a row (uncertain ones between
  /// them skipped) agree on another label: one odd frame never switches, and non-gameplay
  /// frames (cut cards, replays, loading) are skipped, so they end nothing by themselves. A
  /// first stretch with fewer than `switchAfter` certain frames joins the next one; a boundary
  /// moves back over the frames the new hero explains better than the old. Each segment then
  /// gets its own verdict over its frames (non-gameplay frames up to the next segment
  /// included); neighbours with the same answer are merged, and so are neighbours of two
  /// heroes with a frame of either inside the other's segment read as confidently as that
  /// segment's own (interleaved evidence is one hero read two ways, not a change). Empty
  /// without gameplay frames.
  public static func segments(
    observations: [FrameObservation], labels: [String], thresholds: UnknownThresholds,
    switchAfter: Int = 3
  ) -> [ClipSegment] {
    let c = labels.count
    let gameplay = observations.indices.filter {
      observations[$0].screen == .gameplay && observations[$0].probabilities?.count == c
    }
    guard !gameplay.isEmpty, c > 0 else { return [] }
    // Each gameplay frame's label: its best hero; -1 when its crop is not familiar enough with
    // that hero; -2 when the frame is uncertain (the best hero's probability less than twice
    // the next one's): such a frame neither continues nor starts a run.
    let label = gameplay.map { i -> Int in
      let o = observations[i]
      let p = o.probabilities ?? []
      let order = p.indices.sorted { p[$0] > p[$1] || (p[$0] == p[$1] && $0 < $1) }
      let best = order[0]
      if order.count > 1, p[best] < 2 * p[order[1]] { return -2 }
      guard let s = o.similarities, let k = o.colourSimilarities, let q = o.patternSimilarities,
        s.count == c, k.count == c, q.count == c
      else { return best }
      let f = UnknownThresholds.familiarity(
        shape: Double(s[best]), colour: Double(k[best]), pattern: Double(q[best]))
      return f >= thresholds.minFamiliarity ? best : -1
    }
    let k = max(1, switchAfter)
    // Starts of the segments, as positions in `gameplay`.
    var cuts = [0]
    var current = label.first { $0 != -2 } ?? -2
    var run: (start: Int, label: Int, count: Int)?
    for p in 1..<label.count where label[p] != -2 {
      if label[p] == current {
        run = nil
        continue
      }
      if run?.label == label[p] { run?.count += 1 } else { run = (p, label[p], 1) }
      if let r = run, r.count >= k {
        cuts.append(r.start)
        current = r.label
        run = nil
      }
    }
    // A first stretch with fewer than `k` certain frames joins the next.
    if cuts.count > 1, label[0..<cuts[1]].filter({ $0 != -2 }).count < k { cuts.remove(at: 1) }
    // A boundary moves back over the frames at the end of a segment that the next segment's
    // hero explains better (the first frames of a new hero, read before its run began).
    for j in 1..<max(1, cuts.count) {
      let next = label[cuts[j]]
      guard next >= 0 else { continue }
      while cuts[j] - 1 > cuts[j - 1] {
        let p = observations[gameplay[cuts[j] - 1]].probabilities ?? []
        let here = label[cuts[j - 1]...].first { $0 >= 0 } ?? -1
        guard here >= 0, next < p.count, here < p.count, p[next] > p[here] else { break }
        cuts[j] -= 1
      }
    }
    // A change confirmed within `k + 1` gameplay frames after a stretch of non-gameplay frames
    // (a cut card, a loading screen) happened there: the boundary moves back to it. Frames of
    // a hero the model does not know are often uncertain, so a change to or from "unknown" is
    // confirmed late, and the boundary moves back over frames only for a known next hero
    // (above); held-out compilations had such boundaries 4–6 s late.
    // Only over frames that are not certain frames of the old segment's hero (one of those
    // after the card says the old hero went on).
    for j in 1..<max(1, cuts.count) {
      let old = label[cuts[j - 1]..<cuts[j]].first { $0 != -2 } ?? -2
      for m in 0...(k + 1) {
        let q = cuts[j] - m
        guard q > cuts[j - 1], m == 0 || label[q] != old else { break }
        if gameplay[q] - gameplay[q - 1] > 1 {
          cuts[j] = q
          break
        }
      }
    }
    // A stretch of non-gameplay frames (a cut card, a loading screen) is where a compilation
    // changes hero: a cut there too when it leaves at least `gapSide` gameplay frames on each
    // side (fewer give the verdicts too little to go on: a single-hero clip's shop visit would
    // split it); the verdicts decide below (neighbours with the same answer merge again).
    let gapSide = k + 2
    var withGaps: [Int] = []
    for (j, start) in cuts.enumerated() {
      withGaps.append(start)
      let end = j + 1 < cuts.count ? cuts[j + 1] : gameplay.count
      var last = start
      for p in (start + 1)..<max(start + 1, end)
      where gameplay[p] - gameplay[p - 1] > 1 && p - last >= gapSide && end - p >= gapSide {
        withGaps.append(p)
        last = p
      }
    }
    cuts = withGaps
    func segment(_ from: Int, _ to: Int) -> ClipSegment {
      // Gameplay positions from..<to; observations up to the next segment's first frame.
      let first = gameplay[from]
      let last = gameplay[to - 1]
      let stop = to < gameplay.count ? gameplay[to] : observations.count
      let verdict = ClipVerdict(
        observations: Array(observations[first..<stop]), labels: labels, thresholds: thresholds)
      return ClipSegment(
        start: observations[first].ptsSeconds, end: observations[last].ptsSeconds,
        verdict: verdict)
    }
    var bounds = zip(cuts, cuts.dropFirst() + [gameplay.count]).map { ($0, $1) }
    var out = bounds.map { segment($0.0, $0.1) }
    // Neighbours with the same answer are one segment; so are two heroes whose frames
    // interleave: inside either segment, a certain frame of the other hero read at least as
    // confidently as the median of the segment's own frames (a low-bitrate clip whose dimmed
    // icon reads as a similar hero every other frame: 4 frames of one, 4 of the other, the
    // other hero at p 0.9997 inside a segment of p 0.80–0.92). A real change leaves at most a
    // weak odd frame (a compilation's 李白 part: one 韩信 frame at p 0.54 among 李白 frames of
    // median 0.76).
    func strongIntruder(_ segment: Int, own: Int, other: Int) -> Bool {
      let positions = bounds[segment].0..<bounds[segment].1
      func p(_ pos: Int, _ k: Int) -> Float { observations[gameplay[pos]].probabilities?[k] ?? 0 }
      let mine = positions.filter { label[$0] == own }.map { p($0, own) }.sorted()
      guard !mine.isEmpty else { return false }
      let median = mine[mine.count / 2]
      return positions.contains { label[$0] == other && p($0, other) >= median }
    }
    func interleaved(_ a: Int, _ b: Int) -> Bool {
      guard let ha = out[a].verdict.hero, let hb = out[b].verdict.hero, ha != hb,
        let la = labels.firstIndex(of: ha), let lb = labels.firstIndex(of: hb)
      else { return false }
      return strongIntruder(a, own: la, other: lb) || strongIntruder(b, own: lb, other: la)
    }
    var i = 0
    while i + 1 < out.count {
      if out[i].verdict.hero == out[i + 1].verdict.hero || interleaved(i, i + 1) {
        bounds[i] = (bounds[i].0, bounds[i + 1].1)
        bounds.remove(at: i + 1)
        out.remove(at: i + 1)
        out[i] = segment(bounds[i].0, bounds[i].1)
        if i > 0 { i -= 1 }
      } else {
        i += 1
      }
    }
    return out
  }
}
