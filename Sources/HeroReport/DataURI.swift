import Foundation

/// Images as `data:` URIs, so a report is one file.
public enum DataURI {
  /// A JPEG's bytes as a `data:image/jpeg;base64,…` URI; nil for bytes that are not a JPEG
  /// (no SOI marker), which a report then shows as missing instead of as a broken image.
  public static func jpeg(_ data: Data) -> String? {
    guard data.count > 3, data[data.startIndex] == 0xFF, data[data.startIndex + 1] == 0xD8 else {
      return nil
    }
    return "data:image/jpeg;base64," + data.base64EncodedString()
  }

  /// The JPEG file at `path` as a URI; nil when it cannot be read or is not a JPEG.
  public static func jpeg(fileAt path: String) -> String? {
    FileManager.default.contents(atPath: path).flatMap(jpeg)
  }
}
