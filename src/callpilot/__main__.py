from callpilot.cli import main

main()
