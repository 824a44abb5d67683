// Fuzz target `model`: HeroModel.decode on model.json bytes and weights bytes from the input
// (`json NUL weights`). The harness re-signs the weights (replaces the 40 hex digits after
// "sha1") as whoever crafts a model can, so the fuzzer gets past the hash.
import Classifier
import Foundation
import HeroCore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzModel(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let input = Data(bytes: data, count: size)
  let cut = input.firstIndex(of: 0) ?? input.endIndex
  var json = [UInt8](input[..<cut])
  let weights = cut < input.endIndex ? Data(input[(cut + 1)...]) : Data()
  let key = Array("\"sha1\"".utf8)
  if let at = json.indices.first(where: { json[$0...].starts(with: key) }),
    let quote = json[(at + key.count)...].firstIndex(of: UInt8(ascii: "\"")),
    quote + 41 <= json.count
  {
    json.replaceSubrange((quote + 1)..<(quote + 41), with: Array(SHA1.hex(weights).utf8))
  }
  if let model = try? HeroModel.decode(
    json: Data(json), weights: weights, jsonPath: "fuzz/model.json", weightsPath: "fuzz/w")
  {
    // A model that loads can be used: score one zero bottleneck.
    let zero = [Float](repeating: 0, count: model.layer.inputSize)
    _ = model.scores(zero)
  }
  return 0
}
