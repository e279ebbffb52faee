//! Who an invoice is from and to: the party snapshots printed on an invoice and
//! frozen at issue (a later change of address does not alter an issued invoice).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::config::Settings;
use crate::db::models::{CandidateRow, ProviderRow};
use crate::domain::parties::provider::CountryCode;
use crate::integrations::pdf::DocumentParty;

/// A seller or buyer as printed on an invoice, frozen at issue.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct PartySnapshot {
    /// Legal name.
    pub name: String,
    /// Address lines (without the country).
    pub address_lines: Vec<String>,
    /// ISO 3166-1 alpha-2.
    pub country: String,
    /// Tax id.
    pub tax_id: Option<String>,
    /// Billing email.
    pub email: Option<String>,
}

impl PartySnapshot {
    /// The buyer block of a provider.
    pub fn of_provider(p: &ProviderRow) -> Self {
        let mut address_lines = vec![p.address_line1.clone()];
        address_lines.extend(p.address_line2.clone());
        let city_line = [
            p.postal_code.as_deref(),
            Some(p.city.as_str()),
            p.region.as_deref(),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
        address_lines.push(city_line);
        PartySnapshot {
            name: p.legal_name.clone(),
            address_lines,
            country: p.country.clone(),
            tax_id: p.tax_id.clone(),
            email: Some(p.email.clone()),
        }
    }

    /// The seller block from settings.
    pub fn of_seller(s: &Settings) -> Self {
        PartySnapshot {
            name: s.seller.legal_name.clone(),
            address_lines: s.seller.address_lines.clone(),
            country: s.seller.country.clone(),
            tax_id: s.seller.tax_id.clone(),
            email: Some(s.seller.email.clone()),
        }
    }

    pub(crate) fn document(&self) -> DocumentParty {
        DocumentParty {
            name: self.name.clone(),
            address_lines: self.address_lines.clone(),
            country: CountryCode::parse(&self.country)
                .map(|c| c.name())
                .unwrap_or_else(|_| self.country.clone()),
            tax_id: self.tax_id.clone(),
            email: self.email.clone(),
        }
    }
}

/// Who is billed: the snapshot printed on the invoice and the party it belongs to.
#[derive(Debug, Clone)]
pub struct Buyer {
    /// Printed block.
    pub snapshot: PartySnapshot,
    /// Where invoice mail goes.
    pub email: String,
    /// Owning provider, for provider invoices.
    pub provider_id: Option<String>,
    /// Owning candidate, for candidate invoices.
    pub candidate_id: Option<String>,
}

impl Buyer {
    /// A provider as buyer.
    pub fn provider(p: &ProviderRow) -> Self {
        Buyer {
            snapshot: PartySnapshot::of_provider(p),
            email: p.email.clone(),
            provider_id: Some(p.id.clone()),
            candidate_id: None,
        }
    }

    /// A candidate as buyer (name and country; candidates give no postal address).
    pub fn candidate(c: &CandidateRow) -> Self {
        Buyer {
            snapshot: PartySnapshot {
                name: format!("{} {}", c.given_name, c.family_name),
                address_lines: vec![],
                country: c.country.clone(),
                tax_id: None,
                email: Some(c.email.clone()),
            },
            email: c.email.clone(),
            provider_id: None,
            candidate_id: Some(c.id.clone()),
        }
    }
}
