import CCairo
import Foundation
import HeroCore

/// A Cairo image surface and its context: the only place that calls Cairo. Coordinates are
/// Cairo user space (after `scale`/`translate`). Lives inside one task (not `Sendable`).
final class Canvas {
  let width: Int
  let height: Int
  private let surface: OpaquePointer
  private let cr: OpaquePointer

  enum Align { case left, center, right }
  enum Blend { case over, multiply, screen, softLight, add }

  /// A new canvas (RGB24: 4 bytes per pixel in memory, B, G, R, unused, on little-endian).
  init(width: Int, height: Int) {
    precondition(width > 0 && height > 0 && width <= 8192 && height <= 8192)
    // cairo_image_surface_create: never NULL (an error surface at worst, checked below).
    surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, Int32(width), Int32(height))
    precondition(cairo_surface_status(surface) == CAIRO_STATUS_SUCCESS, "cairo surface")
    cr = cairo_create(surface)
    precondition(cairo_status(cr) == CAIRO_STATUS_SUCCESS, "cairo context")
    self.width = width
    self.height = height
  }

  deinit {
    cairo_destroy(cr)
    cairo_surface_destroy(surface)
  }

  // MARK: state

  func save() { cairo_save(cr) }
  func restore() { cairo_restore(cr) }
  func translate(_ x: Double, _ y: Double) { cairo_translate(cr, x, y) }
  func scale(_ s: Double) { cairo_scale(cr, s, s) }
  func scale(_ sx: Double, _ sy: Double) { cairo_scale(cr, sx, sy) }
  func rotate(_ a: Double) { cairo_rotate(cr, a) }
  func resetTransform() { cairo_identity_matrix(cr) }
  func setAlpha(_ c: Color, _ a: Double) { cairo_set_source_rgba(cr, c.r, c.g, c.b, a) }
  func set(_ c: Color) { cairo_set_source_rgb(cr, c.r, c.g, c.b) }
  func lineWidth(_ w: Double) { cairo_set_line_width(cr, w) }
  func roundCaps() {
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND)
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND)
  }

  func blend(_ b: Blend) {
    let op: cairo_operator_t =
      switch b {
      case .over: CAIRO_OPERATOR_OVER
      case .multiply: CAIRO_OPERATOR_MULTIPLY
      case .screen: CAIRO_OPERATOR_SCREEN
      case .softLight: CAIRO_OPERATOR_SOFT_LIGHT
      case .add: CAIRO_OPERATOR_ADD
      }
    cairo_set_operator(cr, op)
  }

  // MARK: paths

  func newPath() { cairo_new_path(cr) }
  func move(_ x: Double, _ y: Double) { cairo_move_to(cr, x, y) }
  func line(_ x: Double, _ y: Double) { cairo_line_to(cr, x, y) }
  func curve(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, _ x: Double, _ y: Double) {
    cairo_curve_to(cr, x1, y1, x2, y2, x, y)
  }
  func close() { cairo_close_path(cr) }
  func rect(_ x: Double, _ y: Double, _ w: Double, _ h: Double) { cairo_rectangle(cr, x, y, w, h) }
  func circle(_ cx: Double, _ cy: Double, _ r: Double) {
    cairo_new_sub_path(cr)
    cairo_arc(cr, cx, cy, max(r, 0), 0, 2 * Double.pi)
  }
  func arc(_ cx: Double, _ cy: Double, _ r: Double, _ a0: Double, _ a1: Double) {
    cairo_arc(cr, cx, cy, r, a0, a1)
  }
  func arcNegative(_ cx: Double, _ cy: Double, _ r: Double, _ a0: Double, _ a1: Double) {
    cairo_arc_negative(cr, cx, cy, r, a0, a1)
  }
  func ellipse(_ cx: Double, _ cy: Double, _ rx: Double, _ ry: Double) {
    cairo_save(cr)
    cairo_translate(cr, cx, cy)
    cairo_scale(cr, max(rx, 0.01), max(ry, 0.01))
    cairo_new_sub_path(cr)
    cairo_arc(cr, 0, 0, 1, 0, 2 * Double.pi)
    cairo_restore(cr)
  }
  func roundedRect(_ x: Double, _ y: Double, _ w: Double, _ h: Double, _ r: Double) {
    let r = min(r, w / 2, h / 2)
    cairo_new_sub_path(cr)
    cairo_arc(cr, x + w - r, y + r, r, -Double.pi / 2, 0)
    cairo_arc(cr, x + w - r, y + h - r, r, 0, Double.pi / 2)
    cairo_arc(cr, x + r, y + h - r, r, Double.pi / 2, Double.pi)
    cairo_arc(cr, x + r, y + r, r, Double.pi, 3 * Double.pi / 2)
    cairo_close_path(cr)
  }
  /// A regular star or polygon (`inner == outer` gives a polygon with `points` corners).
  func star(_ cx: Double, _ cy: Double, points: Int, outer: Double, inner: Double, angle: Double) {
    let n = max(points, 2) * 2
    for i in 0..<n {
      let a = angle - Double.pi / 2 + Double(i) * Double.pi / Double(max(points, 2))
      let r = i % 2 == 0 ? outer : inner
      if i == 0 {
        move(cx + r * cos(a), cy + r * sin(a))
      } else {
        line(cx + r * cos(a), cy + r * sin(a))
      }
    }
    close()
  }

  /// A heater shield centred on x = 0: flat top at `top`, straight sides down to y = 0, then
  /// curves (control points at `shoulder` and `waist`) to the point at `tip`.
  func shield(halfWidth w: Double, top: Double, shoulder: Double, waist: Double, tip: Double) {
    move(-w, top)
    line(w, top)
    line(w, 0)
    curve(w, shoulder, 0.2, waist, 0, tip)
    curve(-0.2, waist, -w, shoulder, -w, 0)
    close()
  }

  func fill() { cairo_fill(cr) }
  func fillPreserve() { cairo_fill_preserve(cr) }
  func stroke() { cairo_stroke(cr) }
  func strokePreserve() { cairo_stroke_preserve(cr) }
  func clip() { cairo_clip(cr) }
  func paint() { cairo_paint(cr) }
  func paint(alpha: Double) { cairo_paint_with_alpha(cr, alpha) }

  // MARK: gradients

  /// Sets a linear gradient source from (x0, y0) to (x1, y1).
  func linear(
    _ x0: Double, _ y0: Double, _ x1: Double, _ y1: Double, _ stops: [(Double, Color, Double)]
  ) {
    let p = cairo_pattern_create_linear(x0, y0, x1, y1)
    setPattern(p, stops)
  }

  /// Sets a radial gradient source centred on (cx, cy) from radius r0 to r1.
  func radial(
    _ cx: Double, _ cy: Double, _ r0: Double, _ r1: Double, _ stops: [(Double, Color, Double)]
  ) {
    let p = cairo_pattern_create_radial(cx, cy, r0, cx, cy, r1)
    setPattern(p, stops)
  }

  private func setPattern(_ p: OpaquePointer?, _ stops: [(Double, Color, Double)]) {
    guard let p else { return }
    for (o, c, a) in stops { cairo_pattern_add_color_stop_rgba(p, o, c.r, c.g, c.b, a) }
    cairo_set_source(cr, p)
    cairo_pattern_destroy(p)
  }

  // MARK: text (Cairo's toy API; DejaVu through fontconfig)

  /// Draws `s` with its baseline at `y`; returns the advance width.
  @discardableResult
  func text(
    _ s: String, x: Double, y: Double, size: Double, color: Color, alpha: Double = 1,
    bold: Bool = true, align: Align = .left, outline: Color? = nil, outlineWidth: Double = 0,
    serif: Bool = false, family: String? = nil
  ) -> Double {
    cairo_select_font_face(
      cr, family ?? (serif ? "DejaVu Serif" : "DejaVu Sans"), CAIRO_FONT_SLANT_NORMAL,
      bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL)
    cairo_set_font_size(cr, size)
    var ext = cairo_text_extents_t()
    cairo_text_extents(cr, s, &ext)
    let x0: Double =
      switch align {
      case .left: x
      case .center: x - ext.x_advance / 2
      case .right: x - ext.x_advance
      }
    cairo_new_path(cr)
    cairo_move_to(cr, x0, y)
    cairo_text_path(cr, s)
    if let outline, outlineWidth > 0 {
      cairo_set_source_rgba(cr, outline.r, outline.g, outline.b, alpha)
      cairo_set_line_width(cr, outlineWidth)
      cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND)
      cairo_stroke_preserve(cr)
    }
    cairo_set_source_rgba(cr, color.r, color.g, color.b, alpha)
    cairo_fill(cr)
    return ext.x_advance
  }

  // MARK: other canvases

  /// Paints `other` with its top-left at (x, y) in user space; `repeating` tiles it endlessly.
  func paint(_ other: Canvas, x: Double, y: Double, alpha: Double = 1, repeating: Bool = false) {
    cairo_set_source_surface(cr, other.surface, x, y)
    if repeating, let p = cairo_get_source(cr) { cairo_pattern_set_extend(p, CAIRO_EXTEND_REPEAT) }
    if alpha >= 1 { cairo_paint(cr) } else { cairo_paint_with_alpha(cr, alpha) }
  }

  // MARK: pixels

  /// Calls `body` with the pixel memory (B, G, R, unused per pixel) and the row stride in bytes.
  func withBGRX<R>(_ body: (UnsafePointer<UInt8>, Int) throws -> R) rethrows -> R {
    cairo_surface_flush(surface)
    let stride = Int(cairo_image_surface_get_stride(surface))
    guard let data = cairo_image_surface_get_data(surface) else {
      preconditionFailure("cairo image surface without data")
    }
    return try body(UnsafePointer(data), stride)
  }

  /// Calls `body` with the pixel memory to change in place (B, G, R, unused; row stride in bytes).
  func withMutableBGRX(_ body: (UnsafeMutablePointer<UInt8>, Int) -> Void) {
    cairo_surface_flush(surface)
    let stride = Int(cairo_image_surface_get_stride(surface))
    guard let data = cairo_image_surface_get_data(surface) else {
      preconditionFailure("cairo image surface without data")
    }
    body(data, stride)
    cairo_surface_mark_dirty(surface)
  }

  /// Paints `other` through the current transform with bilinear filtering (a scaled copy).
  func paintFiltered(_ other: Canvas) {
    cairo_set_source_surface(cr, other.surface, 0, 0)
    if let p = cairo_get_source(cr) { cairo_pattern_set_filter(p, CAIRO_FILTER_BILINEAR) }
    cairo_paint(cr)
  }

  /// Writes the canvas as a PNG file (cairo_surface_write_to_png); false on failure.
  func writePNG(path: String) -> Bool {
    cairo_surface_flush(surface)
    return cairo_surface_write_to_png(surface, path) == CAIRO_STATUS_SUCCESS
  }

  /// The canvas as an 8-bit RGB image.
  func rgbImage() -> RGBImage {
    var out = [UInt8](repeating: 0, count: width * height * 3)
    withBGRX { src, stride in
      out.withUnsafeMutableBufferPointer { dst in
        for y in 0..<height {
          let row = src + y * stride
          var d = y * width * 3
          for x in 0..<width {
            dst[d] = row[x * 4 + 2]
            dst[d + 1] = row[x * 4 + 1]
            dst[d + 2] = row[x * 4]
            d += 3
          }
        }
      }
    }
    return RGBImage(width: width, height: height, pixels: out)
  }
}
