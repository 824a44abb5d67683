/// The report's charts, drawn as ``SVGElement`` trees: training curves, the confusion matrix,
/// image counts per hero and the key-frame timeline of a clip.
public enum Charts {
  /// A line of a plot: its name, colour and points.
  public struct Series: Sendable {
    public var name: String
    public var colour: String
    public var points: [(x: Double, y: Double)]

    public init(name: String, colour: String, points: [(x: Double, y: Double)]) {
      self.name = name
      self.colour = colour
      self.points = points
    }
  }

  /// Colours of the screens in a timeline.
  public static let screenColours: [String: String] = [
    "gameplay": "#2e7d32", "loading": "#90a4ae", "shop": "#ef6c00", "other": "#7b1fa2",
  ]

  /// A stable colour for a hero name (its hue from an FNV-1a hash of the name).
  public static func heroColour(_ name: String) -> String {
    var h: UInt32 = 2_166_136_261
    for b in name.utf8 {
      h ^= UInt32(b)
      h = h &* 16_777_619
    }
    return "hsl(\(h % 360), 62%, 46%)"
  }

  // MARK: Line plots

  /// One plot of `series` in a `width` × `height` box at (`x`, `y`), with axes, ticks, a title
  /// and a legend. `yRange` nil: from 0 to the largest value.
  public static func linePlot(
    title: String, series: [Series], x: Double, y: Double, width: Double, height: Double,
    yRange: ClosedRange<Double>? = nil, xLabel: String, className: String
  ) -> SVGElement {
    let left = 46.0
    let right = 12.0
    let top = 26.0
    let bottom = 34.0
    let plotW = width - left - right
    let plotH = height - top - bottom
    let xs = series.flatMap { $0.points.map(\.x) }
    let ys = series.flatMap { $0.points.map(\.y) }
    let x0 = xs.min() ?? 0
    let x1 = max(xs.max() ?? 1, x0 + 1)
    let yr = yRange ?? 0...max(ys.max() ?? 1, 1e-6)
    func px(_ v: Double) -> Double { left + (v - x0) / (x1 - x0) * plotW }
    func py(_ v: Double) -> Double {
      top + plotH - (min(max(v, yr.lowerBound), yr.upperBound) - yr.lowerBound)
        / (yr.upperBound - yr.lowerBound) * plotH
    }
    var children: [SVGElement] = [
      SVGElement("text", ["x": .number(left), "y": 16, "class": "plot-title"], text: title),
      SVGElement(
        "rect",
        [
          "x": .number(left), "y": .number(top), "width": .number(plotW),
          "height": .number(plotH), "class": "plot-area",
        ]),
    ]
    for i in 0...4 {
      let v = yr.lowerBound + Double(i) / 4 * (yr.upperBound - yr.lowerBound)
      children.append(
        SVGElement(
          "line",
          [
            "x1": .number(left), "x2": .number(left + plotW), "y1": .number(py(v)),
            "y2": .number(py(v)), "class": "grid",
          ]))
      children.append(
        SVGElement(
          "text",
          ["x": .number(left - 4), "y": .number(py(v) + 4), "class": "tick", "text-anchor": "end"],
          text: tickLabel(v)))
    }
    for v in niceTicks(from: x0, to: x1, count: 5) {
      children.append(
        SVGElement(
          "text",
          [
            "x": .number(px(v)), "y": .number(top + plotH + 14), "class": "tick",
            "text-anchor": "middle",
          ], text: tickLabel(v)))
    }
    children.append(
      SVGElement(
        "text",
        [
          "x": .number(left + plotW / 2), "y": .number(height - 4), "class": "axis-label",
          "text-anchor": "middle",
        ], text: xLabel))
    for (k, s) in series.enumerated() where !s.points.isEmpty {
      let points = s.points.map { SVGValue.format(px($0.x)) + "," + SVGValue.format(py($0.y)) }
      children.append(
        SVGElement(
          "polyline",
          [
            "points": .string(points.joined(separator: " ")), "fill": "none",
            "stroke": .string(s.colour), "stroke-width": 2, "class": "series",
            "data-name": .string(s.name),
          ], children: [SVGElement("title", text: s.name)]))
      let lx = left + 8 + Double(k) * 150
      children.append(
        SVGElement(
          "rect",
          [
            "x": .number(lx), "y": .number(top + 6), "width": 12, "height": 4,
            "fill": .string(s.colour),
          ]))
      children.append(
        SVGElement(
          "text", ["x": .number(lx + 16), "y": .number(top + 12), "class": "legend"],
          text: s.name))
    }
    return SVGElement(
      "g",
      [
        "transform": .string("translate(\(SVGValue.format(x)),\(SVGValue.format(y)))"),
        "class": .string(className),
      ],
      children: children)
  }

  /// Up to `count` round tick values between `a` and `b`.
  static func niceTicks(from a: Double, to b: Double, count: Int) -> [Double] {
    let span = b - a
    guard span > 0, count > 0 else { return [a] }
    let raw = span / Double(count)
    var step = 1.0
    while step * 10 <= raw { step *= 10 }
    while step > raw { step /= 10 }
    for m in [1.0, 2.0, 5.0, 10.0] where step * m >= raw {
      step *= m
      break
    }
    var ticks: [Double] = []
    var v = (a / step).rounded(.up) * step
    while v <= b + step * 1e-9 {
      ticks.append(v)
      v += step
    }
    return ticks
  }

  static func tickLabel(_ v: Double) -> String {
    if v == v.rounded() && abs(v) < 1e9 { return String(Int(v)) }
    if abs(v) < 0.1 { return String(format: "%.2g", v) }
    return SVGValue.format(v)
  }

  /// The training curves: accuracies (training, validation) and cross entropy per step.
  public static func trainingCurves(
    steps: [Int], trainAccuracy: [Double], validationAccuracy: [Double?], crossEntropy: [Double]
  ) -> SVGElement {
    let xs = steps.map(Double.init)
    let accuracy = [
      Series(
        name: "training accuracy", colour: "#1565c0",
        points: zip(xs, trainAccuracy).map { ($0, $1) }),
      Series(
        name: "validation accuracy", colour: "#e65100",
        points: zip(xs, validationAccuracy).compactMap { x, v in v.map { (x, $0) } }),
    ]
    let entropy = [
      Series(
        name: "cross entropy", colour: "#6a1b9a", points: zip(xs, crossEntropy).map { ($0, $1) })
    ]
    return SVGElement.root(
      width: 860, height: 260, className: "chart curves", label: "training curves",
      children: [
        linePlot(
          title: "Accuracy", series: accuracy, x: 0, y: 0, width: 430, height: 260,
          yRange: 0...1, xLabel: "step", className: "plot accuracy"),
        linePlot(
          title: "Cross entropy (training batch)", series: entropy, x: 430, y: 0, width: 430,
          height: 260, xLabel: "step", className: "plot entropy"),
      ])
  }

  // MARK: Confusion matrix

  /// The confusion matrix as a heat map: rows true heroes, columns predicted ones; each cell
  /// shows its count, shaded by its share of the row (green on the diagonal, red off it).
  public static func confusionMatrix(labels: [String], matrix: [[Int]]) -> SVGElement {
    let n = labels.count
    let cell = n > 16 ? 22.0 : 36.0
    let labelW = 110.0
    // Room for the rotated column labels (about 9 pixels a character, at most 90).
    let longest = labels.map { Double($0.count) }.max() ?? 1
    let top = 30 + min(90, 9 * longest)
    let width = labelW + Double(n) * cell + 20
    let height = top + Double(n) * cell + 30
    var children: [SVGElement] = [
      SVGElement("text", ["x": 4, "y": 14, "class": "plot-title"], text: "true ↓  predicted →")
    ]
    for (j, name) in labels.enumerated() {
      let cx = labelW + (Double(j) + 0.5) * cell
      children.append(
        SVGElement(
          "text",
          [
            "x": .number(cx), "y": .number(top - 6), "class": "cm-label",
            "transform": .string("rotate(-50 \(SVGValue.format(cx)) \(SVGValue.format(top - 6)))"),
          ], text: name))
    }
    for (i, name) in labels.enumerated() {
      let row = i < matrix.count ? matrix[i] : []
      let total = max(row.reduce(0, +), 1)
      children.append(
        SVGElement(
          "text",
          [
            "x": .number(labelW - 6), "y": .number(top + (Double(i) + 0.5) * cell + 4),
            "class": "cm-label", "text-anchor": "end",
          ], text: name))
      for j in 0..<n {
        let count = j < row.count ? row[j] : 0
        let share = Double(count) / Double(total)
        let hue = i == j ? 130 : 2
        let fill = count == 0 ? "#f5f5f5" : "hsl(\(hue), 60%, \(Int(92 - 50 * share))%)"
        children.append(
          SVGElement(
            "rect",
            [
              "x": .number(labelW + Double(j) * cell), "y": .number(top + Double(i) * cell),
              "width": .number(cell - 2), "height": .number(cell - 2), "fill": .string(fill),
              "class": .string(i == j ? "cm-cell diagonal" : "cm-cell"),
              "data-count": .number(Double(count)),
            ], children: [SVGElement("title", text: "\(name) → \(labels[j]): \(count)")]))
        children.append(
          SVGElement(
            "text",
            [
              "x": .number(labelW + (Double(j) + 0.5) * cell - 1),
              "y": .number(top + (Double(i) + 0.5) * cell + 4), "class": "cm-count",
              "text-anchor": "middle",
            ], text: count == 0 ? "" : String(count)))
      }
    }
    return SVGElement.root(
      width: width, height: height, className: "chart confusion",
      label: "confusion matrix of the test split", children: children)
  }

  // MARK: Counts

  /// Horizontal stacked bars: images per hero in each set.
  public static func imageCounts(
    heroes: [String], sets: [String], counts: [[Int]], colours: [String]
  ) -> SVGElement {
    let labelW = 110.0
    let barH = 18.0
    let width = 640.0
    let plotW = width - labelW - 60
    let maxTotal = max(counts.map { $0.reduce(0, +) }.max() ?? 1, 1)
    var children: [SVGElement] = []
    for (k, set) in sets.enumerated() {
      let lx = labelW + Double(k) * 110
      children.append(
        SVGElement(
          "rect",
          ["x": .number(lx), "y": 4, "width": 12, "height": 10, "fill": .string(colours[k])]))
      children.append(
        SVGElement("text", ["x": .number(lx + 16), "y": 13, "class": "legend"], text: set))
    }
    for (i, hero) in heroes.enumerated() {
      let y = 24 + Double(i) * (barH + 6)
      children.append(
        SVGElement(
          "text",
          [
            "x": .number(labelW - 6), "y": .number(y + 13), "class": "cm-label",
            "text-anchor": "end",
          ],
          text: hero))
      var x = labelW
      let row = i < counts.count ? counts[i] : []
      for (k, c) in row.enumerated() where c > 0 {
        let w = Double(c) / Double(maxTotal) * plotW
        children.append(
          SVGElement(
            "rect",
            [
              "x": .number(x), "y": .number(y), "width": .number(w), "height": .number(barH),
              "fill": .string(k < colours.count ? colours[k] : "#999"), "class": "bar",
            ], children: [SVGElement("title", text: "\(hero), \(sets[k]): \(c)")]))
        x += w
      }
      children.append(
        SVGElement(
          "text", ["x": .number(x + 4), "y": .number(y + 13), "class": "tick"],
          text: String(row.reduce(0, +))))
    }
    return SVGElement.root(
      width: width, height: 30 + Double(heroes.count) * (barH + 6), className: "chart counts",
      label: "images per hero and set", children: children)
  }

  // MARK: Timeline

  /// One key frame of a clip's timeline.
  public struct Frame: Sendable {
    public var t: Double
    public var screen: String
    public var hero: String?
    public var p: Double?

    public init(t: Double, screen: String, hero: String?, p: Double?) {
      self.t = t
      self.screen = screen
      self.hero = hero
      self.p = p
    }
  }

  /// A segment of a clip: its first and last gameplay frame's time and its hero (nil: unknown).
  public struct Segment: Sendable {
    public var start: Double
    public var end: Double
    public var hero: String?
    public init(start: Double, end: Double, hero: String?) {
      self.start = start
      self.end = end
      self.hero = hero
    }
  }

  /// The key frames of a clip as a strip of cells: the cell's frame colour is the screen, a
  /// gameplay cell holds a bar as high as the frame's top probability in its top hero's colour;
  /// each cell has a tooltip (`title`) with time, screen, hero and p. With `segments`, a band
  /// under the cells in each segment's hero colour (grey for unknown) spans its frames.
  public static func timeline(_ frames: [Frame], answer: String?, segments: [Segment] = [])
    -> SVGElement
  {
    let cellW = frames.count > 80 ? 10.0 : (frames.count > 30 ? 18.0 : 28.0)
    let cellH = 44.0
    let band = segments.isEmpty ? 0.0 : 12.0
    let width = max(Double(frames.count) * cellW + 10, 200)
    var children: [SVGElement] = []
    for (n, g) in segments.enumerated() {
      let cells = frames.indices.filter {
        frames[$0].t >= g.start - 1e-6 && frames[$0].t <= g.end + 1e-6
      }
      guard let first = cells.first, let last = cells.last else { continue }
      let label =
        "segment \(n + 1): \(SVGValue.format(g.start))–\(SVGValue.format(g.end)) s, "
        + (g.hero ?? "unknown")
      children.append(
        SVGElement(
          "rect",
          [
            "x": .number(4 + Double(first) * cellW), "y": .number(cellH + 7),
            "width": .number(Double(last - first + 1) * cellW - 2), "height": 8,
            "fill": .string(g.hero.map(heroColour) ?? "#9e9e9e"),
            "class": "segment", "data-hero": .string(g.hero ?? ""),
          ], children: [SVGElement("title", text: label)]))
    }
    for (i, f) in frames.enumerated() {
      let x = 4 + Double(i) * cellW
      let screenColour = screenColours[f.screen] ?? "#616161"
      var parts: [SVGElement] = [
        SVGElement(
          "rect",
          [
            "x": .number(x), "y": 4, "width": .number(cellW - 2), "height": .number(cellH),
            "fill": "#fafafa", "stroke": .string(screenColour), "stroke-width": 2,
          ])
      ]
      if let hero = f.hero, let p = f.p {
        let h = max(2, (cellH - 4) * min(max(p, 0), 1))
        parts.append(
          SVGElement(
            "rect",
            [
              "x": .number(x + 2), "y": .number(4 + cellH - 2 - h), "width": .number(cellW - 6),
              "height": .number(h), "fill": .string(heroColour(hero)),
              "class": .string(hero == answer ? "bar agrees" : "bar"),
            ]))
      } else {
        parts.append(
          SVGElement(
            "rect",
            [
              "x": .number(x + 2), "y": .number(cellH - 4), "width": .number(cellW - 6),
              "height": 6, "fill": .string(screenColour),
            ]))
      }
      let tip =
        "t \(SVGValue.format(f.t)) s · \(f.screen)"
        + (f.hero.map { " · \($0) p \(SVGValue.format((f.p ?? 0) * 100) )%" } ?? "")
      parts.append(SVGElement("title", text: tip))
      children.append(
        SVGElement(
          "g",
          [
            "class": .string("cell screen-\(f.screen)"), "data-t": .number(f.t),
            "data-screen": .string(f.screen), "data-hero": .string(f.hero ?? ""),
          ], children: parts))
    }
    let last = frames.last?.t ?? 0
    children.append(
      SVGElement("text", ["x": 4, "y": .number(cellH + 20 + band), "class": "tick"], text: "0 s"))
    children.append(
      SVGElement(
        "text",
        [
          "x": .number(4 + Double(max(frames.count - 1, 0)) * cellW),
          "y": .number(cellH + 20 + band), "class": "tick",
        ], text: "\(SVGValue.format(last)) s"))
    return SVGElement.root(
      width: width, height: cellH + 26 + band, className: "timeline",
      label: "key frames: screen and top hero per frame", children: children)
  }
}
