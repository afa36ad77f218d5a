import Controller

await JobFleetCommand.main()
