using ControlPlane.Testing;

[assembly: AssemblyFixture(typeof(PostgresFixture))]
