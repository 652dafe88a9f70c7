from nextpractice.cli import main

main()
