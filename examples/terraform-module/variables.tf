variable "vendors" {
  description = "Third parties that may assume a role in this account."
  type = map(object({
    account_id  = string
    external_id = string
  }))
  default = {
    backup = {
      account_id  = "444455556666"
      external_id = "7f3c0a9e-backup"
    }
    monitoring = {
      account_id  = "777788889999"
      external_id = ""
    }
  }
}
