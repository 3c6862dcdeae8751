module k3s-registries/tools/oracle/prepare

go 1.24
