import SlipwayCLI

await SlipwayMain.run()
