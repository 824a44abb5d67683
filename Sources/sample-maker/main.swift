import HeroCore
import SampleMaker

print("sample-maker: being built")
