module github.com/portolan-dev/portolan

go 1.26
