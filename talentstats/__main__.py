from talentstats.cli import main

main()
