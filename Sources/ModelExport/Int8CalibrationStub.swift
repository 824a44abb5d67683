import InceptionKernels

// TEMPORARY STUB of helper A's `Int8Calibration` (Sources/InceptionKernels/Int8Calibration.swift on
// branch int8-engine), same API; deleted when that branch is merged. Its ranges: the largest input
// of each convolution over the 333 training crops of samples/train, measured with ONNX Runtime on
// the float32 export (the tower_2 1x1 after an average pool: the block input's).

/// The activation ranges of the int8 scheme: the clipping value of each convolution's input.
public struct Int8Calibration: Codable, Sendable, Equatable {
  /// What the ranges were measured on, in words.
  public var source: String
  /// How many crops.
  public var images: Int
  /// Per original layer key (as in the weights file), the clipping value of its input.
  public var inputRanges: [String: Float]

  public init(source: String, images: Int, inputRanges: [String: Float]) {
    self.source = source
    self.images = images
    self.inputRanges = inputRanges
  }

  /// The uint8 scale of layer `key`'s input: range / 255.
  public func inputScale(forLayer key: String) -> Float? {
    inputRanges[key].map { $0 / 255 }
  }

  /// The committed table.
  public static let bundled = Int8Calibration(
    source: "stub: the 333 training crops of samples/train (largest value)", images: 333,
    inputRanges: [
      "conv_1": 9.859091758728027,
      "conv_2": 10.510784149169922,
      "conv_3": 9.572916030883789,
      "conv_4": 10.632611274719238,
      "mixed.conv": 11.258938789367676,
      "mixed.tower.conv": 11.258938789367676,
      "mixed.tower.conv_1": 12.397176742553711,
      "mixed.tower_1.conv": 11.258938789367676,
      "mixed.tower_1.conv_1": 8.734844207763672,
      "mixed.tower_1.conv_2": 12.498284339904785,
      "mixed.tower_2.conv": 11.258938789367676,
      "mixed_1.conv": 10.371810913085938,
      "mixed_1.tower.conv": 10.371810913085938,
      "mixed_1.tower.conv_1": 14.883081436157227,
      "mixed_1.tower_1.conv": 10.371810913085938,
      "mixed_1.tower_1.conv_1": 9.300434112548828,
      "mixed_1.tower_1.conv_2": 13.411893844604492,
      "mixed_1.tower_2.conv": 10.371810913085938,
      "mixed_10.conv": 10.21686840057373,
      "mixed_10.tower_1_conv": 10.21686840057373,
      "mixed_10.tower_1_conv_1": 8.593427658081055,
      "mixed_10.tower_1_mixed_conv": 7.759659290313721,
      "mixed_10.tower_1_mixed_conv_1": 7.759659290313721,
      "mixed_10.tower_2_conv": 10.21686840057373,
      "mixed_10.tower_conv": 10.21686840057373,
      "mixed_10.tower_mixed_conv": 6.09095573425293,
      "mixed_10.tower_mixed_conv_1": 6.09095573425293,
      "mixed_2.conv": 11.185229301452637,
      "mixed_2.tower.conv": 11.185229301452637,
      "mixed_2.tower.conv_1": 12.065082550048828,
      "mixed_2.tower_1.conv": 11.185229301452637,
      "mixed_2.tower_1.conv_1": 12.209047317504883,
      "mixed_2.tower_1.conv_2": 9.827567100524902,
      "mixed_2.tower_2.conv": 11.185229301452637,
      "mixed_3.conv": 9.763164520263672,
      "mixed_3.tower.conv": 9.763164520263672,
      "mixed_3.tower.conv_1": 11.24107837677002,
      "mixed_3.tower.conv_2": 10.405231475830078,
      "mixed_4.conv": 12.531726837158203,
      "mixed_4.tower.conv": 12.531726837158203,
      "mixed_4.tower.conv_1": 11.115517616271973,
      "mixed_4.tower.conv_2": 11.889801025390625,
      "mixed_4.tower_1.conv": 12.531726837158203,
      "mixed_4.tower_1.conv_1": 10.826627731323242,
      "mixed_4.tower_1.conv_2": 10.212882995605469,
      "mixed_4.tower_1.conv_3": 10.455927848815918,
      "mixed_4.tower_1.conv_4": 11.579716682434082,
      "mixed_4.tower_2.conv": 12.531726837158203,
      "mixed_5.conv": 9.66490364074707,
      "mixed_5.tower.conv": 9.66490364074707,
      "mixed_5.tower.conv_1": 9.572522163391113,
      "mixed_5.tower.conv_2": 13.005281448364258,
      "mixed_5.tower_1.conv": 9.66490364074707,
      "mixed_5.tower_1.conv_1": 10.108789443969727,
      "mixed_5.tower_1.conv_2": 13.150888442993164,
      "mixed_5.tower_1.conv_3": 12.403698921203613,
      "mixed_5.tower_1.conv_4": 11.66804027557373,
      "mixed_5.tower_2.conv": 9.66490364074707,
      "mixed_6.conv": 13.179450035095215,
      "mixed_6.tower.conv": 13.179450035095215,
      "mixed_6.tower.conv_1": 10.368053436279297,
      "mixed_6.tower.conv_2": 11.90329647064209,
      "mixed_6.tower_1.conv": 13.179450035095215,
      "mixed_6.tower_1.conv_1": 12.334456443786621,
      "mixed_6.tower_1.conv_2": 11.545804023742676,
      "mixed_6.tower_1.conv_3": 10.002457618713379,
      "mixed_6.tower_1.conv_4": 11.871001243591309,
      "mixed_6.tower_2.conv": 13.179450035095215,
      "mixed_7.conv": 12.573949813842773,
      "mixed_7.tower.conv": 12.573949813842773,
      "mixed_7.tower.conv_1": 10.782873153686523,
      "mixed_7.tower.conv_2": 10.325579643249512,
      "mixed_7.tower_1.conv": 12.573949813842773,
      "mixed_7.tower_1.conv_1": 12.698938369750977,
      "mixed_7.tower_1.conv_2": 12.41823673248291,
      "mixed_7.tower_1.conv_3": 12.18825912475586,
      "mixed_7.tower_1.conv_4": 12.222346305847168,
      "mixed_7.tower_2.conv": 12.573949813842773,
      "mixed_8.tower.conv": 10.396652221679688,
      "mixed_8.tower.conv_1": 11.5975341796875,
      "mixed_8.tower_1.conv": 10.396652221679688,
      "mixed_8.tower_1.conv_1": 15.88155460357666,
      "mixed_8.tower_1.conv_2": 11.819724082946777,
      "mixed_8.tower_1.conv_3": 8.160091400146484,
      "mixed_9.conv": 15.43432331085205,
      "mixed_9.tower_1_conv": 15.43432331085205,
      "mixed_9.tower_1_conv_1": 6.935022830963135,
      "mixed_9.tower_1_mixed_conv": 5.67876672744751,
      "mixed_9.tower_1_mixed_conv_1": 5.67876672744751,
      "mixed_9.tower_2_conv": 15.43432331085205,
      "mixed_9.tower_conv": 15.43432331085205,
      "mixed_9.tower_mixed_conv": 7.800711154937744,
      "mixed_9.tower_mixed_conv_1": 7.800711154937744,
    ])
}
