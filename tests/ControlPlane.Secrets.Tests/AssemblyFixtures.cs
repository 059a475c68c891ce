using ControlPlane.Testing;
using Xunit;

[assembly: AssemblyFixture(typeof(PostgresFixture))]
