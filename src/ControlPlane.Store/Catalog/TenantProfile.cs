using System.Text.RegularExpressions;

namespace ControlPlane.Store.Catalog;

/// <summary>The display data of a tenant, replaced as a whole by <see cref="TenantCatalog.UpdateProfileAsync"/>.</summary>
public sealed partial record TenantProfile(
    string DisplayName,
    string? BillingPlan = null,
    string? ContactEmail = null,
    bool MaintenanceFlag = false,
    string? AppVersion = null)
{
    public static TenantProfile Of(CatalogTenant tenant)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        return new(tenant.DisplayName, tenant.BillingPlan, tenant.ContactEmail, tenant.MaintenanceFlag, tenant.AppVersion);
    }

    public void Validate()
    {
        ValidateDisplayName(DisplayName);
        ValidateContactEmail(ContactEmail);
    }

    internal static void ValidateDisplayName(string displayName)
    {
        // length() in the CHECK counts characters (code points), as kube-apiserver's maxLength does; not UTF-16 units.
        if (string.IsNullOrWhiteSpace(displayName) || displayName.EnumerateRunes().Count() > 200)
        {
            throw new ArgumentException("The display name must be 1–200 characters and not blank.", nameof(displayName));
        }
    }

    internal static void ValidateContactEmail(string? contactEmail)
    {
        if (contactEmail is not null && !EmailPattern().IsMatch(contactEmail))
        {
            throw new ArgumentException("The contact e-mail must look like name@domain.", nameof(contactEmail));
        }
    }

    /// <summary>Names of the columns whose values differ, in table order; empty when nothing changes.</summary>
    internal IReadOnlyList<string> ChangedFields(CatalogTenant current)
    {
        var fields = new List<string>();
        if (DisplayName != current.DisplayName) { fields.Add("display_name"); }
        if (AppVersion != current.AppVersion) { fields.Add("app_version"); }
        if (BillingPlan != current.BillingPlan) { fields.Add("billing_plan"); }
        if (ContactEmail != current.ContactEmail) { fields.Add("contact_email"); }
        if (MaintenanceFlag != current.MaintenanceFlag) { fields.Add("maintenance_flag"); }
        return fields;
    }

    // Same rule as the CHECK tenants_contact_email_shape; \z because .NET's $ also matches before a final newline.
    [GeneratedRegex("^[^@\\s]+@[^@\\s]+\\z", RegexOptions.CultureInvariant)]
    private static partial Regex EmailPattern();
}
