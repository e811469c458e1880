import SlipwayCLI

SlipwayMain.runWithoutConcurrency()
await SlipwayMain.run()
